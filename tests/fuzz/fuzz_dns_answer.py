"""tests/fuzz/fuzz_dns_answer.py: atheris target for DNS answers as they
arrive from the network.  Each input is one reply: a UDP server socket on
127.0.0.1 (served by the same loop) answers a real Resolver query with the
input's bytes, its first two bytes replaced by the query's ID (so c-ares
does not drop it as a stray), and in half the cases with the query's own
question spliced in after the header (so the answer sections get parsed).
Right after, the server sends a well-formed SERVFAIL, so a reply that c-ares
drops ends the query at once instead of at its timeout.  Every query the
Resolver sends for the input (query() asks again for a CNAME or the next
hop after some answers) is answered so; before, only the first was, and a
second one left in the server's queue shifted every later answer by one, so
each later input waited for the resolver's timeout (1 input/s).  The TC (truncated)
bit is cleared: the TCP retry path is left to tests/dns/test_dns_hostile.py.

The query type comes from the input (A, AAAA, CNAME, MX, TXT, PTR, SRV,
NS).  Allowed outcomes: a result, or an idiokit.dns.DNSError subclass (a
malformed answer is a MessageError).  Anything else is a crash, a plain
ValueError included, as is a leak (common.LeakCheck) or a hang
(libFuzzer's -timeout).

Usage: python fuzz_dns_answer.py CORPUS_DIR... [libFuzzer flags]."""
from __future__ import absolute_import, print_function

import struct
import sys

import common  # noqa: F401  (sys.path)
import atheris

with atheris.instrument_imports(include=["idiokit"]):
    import idiokit
    from idiokit import socket, dns, timer

TYPES = [1, 28, 5, 15, 16, 12, 33, 2]
OUTCOMES = {"answer": 0}
leaks = common.LeakCheck()
state = {}


def question_end(query):
    pos = 12
    while pos < len(query) and query[pos] != 0:
        pos += 1 + query[pos]
    return pos + 5


@idiokit.stream
def serve(server, data, splice):
    """Answer every query that comes (Resolver.query asks again, for a
    CNAME or the next hop, after some answers) until the stop datagram."""
    while True:
        query, peer = yield server.recvfrom(4096, timeout=5)
        if peer == state["stopper_address"]:
            return
        yield answer(server, query, peer, data, splice)


@idiokit.stream
def answer(server, query, peer, data, splice):
    end = question_end(query)
    body = data[2:]
    if splice and len(body) >= 10:
        body = body[:2] + b"\x00\x01" + body[4:10] + query[12:end] + body[10:]
    if body:
        # No TC bit: c-ares would retry over TCP, where nobody listens, and
        # each such input would cost the resolver's timeout.
        body = struct.pack("B", ord(body[:1]) & ~0x02) + body[1:]
    yield server.sendto(query[:2] + body, peer, timeout=2)
    # SERVFAIL for the same question: ends a query whose reply was dropped.
    servfail = query[:2] + struct.pack(">HHHHH", 0x8182, 1, 0, 0, 0) + query[12:end]
    yield server.sendto(servfail, peer, timeout=2)


@idiokit.stream
def one(data, qtype, splice):
    server = state["server"]
    serving = serve(server, data, splice)
    try:
        result = yield timer.timeout(5, state["resolver"].query("fuzz.example.test", qtype))
        OUTCOMES["answer"] += 1
    except dns.DNSError as error:
        OUTCOMES[type(error).__name__] = OUTCOMES.get(type(error).__name__, 0) + 1
        result = None
    # Every query of this input was sent before the stop datagram: the
    # server's queue holds none of them for the next input.
    yield state["stopper"].sendto(b"stop", state["address"], timeout=2)
    yield timer.timeout(5, serving)
    idiokit.stop(result)


def setup():
    server = socket.Socket(socket.AF_INET, socket.SOCK_DGRAM)
    common.run(server.bind(("127.0.0.1", 0)))
    address = common.run(server.getsockname())
    stopper = socket.Socket(socket.AF_INET, socket.SOCK_DGRAM)
    common.run(stopper.bind(("127.0.0.1", 0)))
    state["stopper_address"] = common.run(stopper.getsockname())
    state.update(server=server, address=address, stopper=stopper)
    state["resolver"] = dns.Resolver([address], timeout=1.0, tries=1, search=())


def TestOneInput(data):
    if len(data) < 3:
        return
    qtype = TYPES[data[0] % len(TYPES)]
    splice = bool(data[1] & 1)
    common.run(one(data[2:], qtype, splice))
    leaks()
    if leaks.count % 10000 == 0:
        report()


def report():
    print("fuzz_dns_answer: after %d inputs, outcomes %r" % (leaks.count, OUTCOMES),
          file=sys.stderr)


if __name__ == "__main__":
    setup()
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
