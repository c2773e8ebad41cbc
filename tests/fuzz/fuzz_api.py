"""tests/fuzz/fuzz_api.py: atheris target for the public API fed arbitrary
arguments.  Each input picks calls (sleep, timeout, the idiokit.socket
methods on an unconnected, a connected, a listening or a closed socket,
settimeout, thread, Event) and their arguments from a pool of hostile
values: wrong types, None, negative and huge sizes, 2**31 and 2**63, NaN,
inf and negative timeouts, zero-length and odd buffers, bad addresses.

Allowed outcomes: a result, or TypeError, ValueError, OverflowError,
EnvironmentError (SocketError and its subclasses, SocketTimeout
included), idiokit.timer.Timeout.  Anything else is a crash; so is a leak
(common.LeakCheck: fds, live counters) and a hang (every call runs under
a 0.05 s idiokit timeout, and libFuzzer's -timeout bounds an input).

Usage: python fuzz_api.py CORPUS_DIR... [libFuzzer flags]."""
from __future__ import absolute_import

import sys

import common  # noqa: F401  (sys.path)
import atheris

with atheris.instrument_imports(include=["idiokit"]):
    import idiokit
    from idiokit import socket, timer

ALLOWED = (TypeError, ValueError, OverflowError, EnvironmentError, timer.Timeout)
VALUES = [None, 0, 1, -1, 7, 4096, 2 ** 31, 2 ** 31 - 1, 2 ** 63, -2 ** 63, 2 ** 64,
          0.0, 0.001, -0.5, float("nan"), float("inf"), float("-inf"), 1e308,
          "", "x", u"\u00e9", b"", b"data", b"\x00" * 1000, bytearray(0), bytearray(16),
          memoryview(b"view"), ("127.0.0.1", 0), ("127.0.0.1", -1), ("127.0.0.1", 70000),
          ("no such host invalid", 1), ("::1", 0, 0, 0), (), [], {}, object(), True,
          socket.SOL_SOCKET, socket.SO_REUSEADDR, socket.SHUT_RDWR]
METHODS = ["recv", "recv_into", "recvfrom", "send", "sendall", "sendto", "connect",
           "bind", "listen", "accept", "setsockopt", "getsockopt", "shutdown",
           "settimeout", "getsockname", "getpeername", "close", "fileno"]
leaks = common.LeakCheck()


def pick(fdp):
    return VALUES[fdp.ConsumeIntInRange(0, len(VALUES) - 1)]


def args_for(fdp):
    args = [pick(fdp) for _ in range(fdp.ConsumeIntInRange(0, 3))]
    kwargs = {}
    if fdp.ConsumeBool():
        kwargs["timeout"] = pick(fdp)
    return args, kwargs


@idiokit.stream
def sockets():
    """(unconnected, connected a, connected b, listening, closed)."""
    listener = socket.Socket()
    yield listener.bind(("127.0.0.1", 0))
    yield listener.listen(4)
    address = yield listener.getsockname()
    b = socket.Socket()
    accepting = listener.accept(timeout=5)
    yield b.connect(address, timeout=5)
    a, _ = yield accepting
    closed = socket.Socket()
    yield closed.close()
    idiokit.stop(socket.Socket(), a, b, listener, closed)


@idiokit.stream
def bounded(make):
    """Call make() (its exceptions are the call's) and yield the stream it
    returns under a 0.05 s timeout."""
    result = make()
    if isinstance(result, idiokit.Stream):
        result = yield timer.timeout(0.05, result)
    idiokit.stop(result)


def call(fdp, socks):
    what = fdp.ConsumeIntInRange(0, 5)
    if what == 0:
        value = pick(fdp)
        return lambda: idiokit.sleep(value)
    if what == 1:
        value = pick(fdp)
        return lambda: timer.timeout(value, idiokit.sleep(0.01))
    if what == 2:
        value = pick(fdp)
        return lambda: idiokit.thread(int, value)
    if what == 3:
        event = idiokit.Event()
        value = pick(fdp)
        return lambda: (event.succeed(value), event)[1]
    sock = socks[fdp.ConsumeIntInRange(0, len(socks) - 1)]
    method = getattr(sock, METHODS[fdp.ConsumeIntInRange(0, len(METHODS) - 1)])
    args, kwargs = args_for(fdp)
    return lambda: method(*args, **kwargs)


@idiokit.stream
def one(fdp):
    socks = yield sockets()
    try:
        for _ in range(fdp.ConsumeIntInRange(1, 4)):
            make = call(fdp, socks)
            try:
                yield bounded(make)
            except ALLOWED:
                pass
    finally:
        for sock in socks:
            try:
                yield sock.close()
            except ALLOWED:
                pass


def TestOneInput(data):
    fdp = atheris.FuzzedDataProvider(data)
    common.run(one(fdp))
    leaks()


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
