# tests/dns/test_dns_process.py: idiokit.dns across processes and over time, against
# dnsmasq: resolving in a forked child (reliability checklist K1, part b),
# /etc/resolv.conf-style options taken from the environment (RES_OPTIONS,
# LOCALDOMAIN) as c-ares reads them, and a query cancelled while others are in
# flight freeing its request within the configured timeout.  The process tests
# run in a subprocess so that the forks and the environment never touch the
# test runner.
from __future__ import absolute_import

import os
import socket
import time

import pytest

import idiokit
import idiokit.timer
import idiokit.dns as dns

from support import guards
from support.dnsmasq import Dnsmasq
from support.dnszone import ZONE
from support.fakedns import FakeDNS
from support.procs import run_py
from support.util import run
from idiokit.dns import _conf

# Names that tell which ndots rule c-ares used: "www.sub" has one dot.
NDOTS_ZONE = ZONE + [
    "--host-record=www.sub,192.0.2.31",
    "--host-record=www.sub.example.test,192.0.2.32",
]


@pytest.fixture(scope="module")
def server():
    with Dnsmasq(NDOTS_ZONE) as d:
        yield d


FORK_SCRIPT = r"""
from __future__ import print_function
import os, socket, sys
import idiokit, idiokit.timer
import idiokit.dns as dns

port = int(sys.argv[1])
resolver = dns.Resolver([("127.0.0.1", port)], timeout=1.0, tries=2, search=())
hole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
hole.bind(("127.0.0.1", 0))
slow = dns.Resolver([hole.getsockname()], timeout=0.5, tries=1, search=())

def resolve(name):
    # The bound of K1: a resolution in the child within 2 s.
    stream = idiokit.timer.timeout(2.0, dns.a(name, resolver))
    return sorted(idiokit.main_loop(stream, catch_signals=()))

print("parent", resolve("www.example.test"))
pending = dns.a("silent.example.test", slow)   # in flight across the fork
sys.stdout.flush()
pid = os.fork()
if pid == 0:
    code = 1
    try:
        print("child", resolve("www.example.test"), resolve("multi.example.test"))
        code = 0
    except BaseException as error:
        print("child failed", repr(error))
    finally:
        sys.stdout.flush()
        os._exit(code)
_, status = os.waitpid(pid, 0)
print("child status", status)
print("parent again", resolve("alias1.example.test"))
try:
    idiokit.main_loop(idiokit.timer.timeout(5.0, pending), catch_signals=())
except dns.DNSTimeout:
    print("pending query timed out")
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_resolve_fork_resolve_in_the_child(server):
    rc, out, err = run_py(FORK_SCRIPT, timeout=30, args=[str(server.port)])
    assert rc == 0, out + err
    assert out.splitlines() == [
        "parent ['192.0.2.1']",
        "child ['192.0.2.1'] ['192.0.2.10', '192.0.2.11']",
        "child status 0",
        "parent again ['192.0.2.1']",
        "pending query timed out",
    ], out + err


IN_FLIGHT_SCRIPT = r"""
from __future__ import print_function
import os, socket, sys, threading, time
import idiokit, idiokit.timer
import idiokit.dns as dns
from support.fakedns import parse_query, a_reply

server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
server.bind(("127.0.0.1", 0))

def answer_late():
    data, peer = server.recvfrom(512)
    qid, _, question, _ = parse_query(data)
    time.sleep(0.5)                      # after the fork: both processes poll by then
    server.sendto(a_reply(qid, question, ["192.0.2.7"]), peer)

threading.Thread(target=answer_late).start()
resolver = dns.Resolver([server.getsockname()], timeout=5.0, tries=1, search=())
pending = dns.a("late.example.test", resolver)
idiokit.main_loop(idiokit.sleep(0.1), catch_signals=())   # the query is out
pid = os.fork()
if pid == 0:
    code = 1
    try:
        try:
            idiokit.main_loop(idiokit.timer.timeout(3.0, pending), catch_signals=())
            print("child got the answer")
        except dns.DNSError as error:
            print("child", type(error).__name__, "forked" in str(error))
        print("child resolves", idiokit.main_loop(dns.a("localhost", resolver),
                                                  catch_signals=()))
        code = 0
    finally:
        sys.stdout.flush()
        os._exit(code)
print("parent", sorted(idiokit.main_loop(idiokit.timer.timeout(3.0, pending),
                                         catch_signals=())))
_, status = os.waitpid(pid, 0)
print("child status", status)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_query_in_flight_at_fork_fails_in_the_child_and_answers_the_parent():
    # The child shares the parent's query socket: it gives the parent's
    # queries up at its first poll (DNSError, not its 3 s timeout) and never
    # reads the parent's answer, which the parent gets.  New lookups in the
    # child use a channel of its own.
    rc, out, err = run_py(IN_FLIGHT_SCRIPT, timeout=30)
    assert rc == 0, out + err
    lines = out.splitlines()
    assert sorted(lines) == sorted([
        "child DNSError True",
        "child resolves ['127.0.0.1']",
        "parent ['192.0.2.7']",
        "child status 0",
    ]), out + err
    assert lines[-1] == "child status 0", out + err


ENV_SCRIPT = r"""
from __future__ import print_function
import socket, sys
import idiokit, idiokit.timer
import idiokit.dns as dns

port = int(sys.argv[1])
# No options given: timeout, tries, ndots and the search list come from
# /etc/resolv.conf as overridden by RES_OPTIONS and LOCALDOMAIN.
resolver = dns.Resolver([("127.0.0.1", port)])

def outcome(stream, bound):
    try:
        return idiokit.main_loop(idiokit.timer.timeout(bound, stream), catch_signals=())
    except Exception as error:
        return type(error).__name__

print("short", outcome(dns.a("www", resolver), 10.0))
print("one dot", outcome(dns.a("www.sub", resolver), 10.0))
hole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
hole.bind(("127.0.0.1", 0))
# c-ares's default (5 s per try, 4 tries) would outlast this generous bound.
print("dead server", outcome(dns.a("www.example.test", dns.Resolver([hole.getsockname()])), 8.0))
"""


def test_res_options_and_localdomain_from_the_environment(server):
    env = {"RES_OPTIONS": "ndots:2 timeout:1 attempts:1", "LOCALDOMAIN": "example.test"}
    rc, out, err = run_py(ENV_SCRIPT, timeout=30, args=[str(server.port)], env=env)
    assert rc == 0, out + err
    assert out.splitlines() == [
        # LOCALDOMAIN is the search list.
        "short ['192.0.2.1']",
        # ndots:2: a name with one dot tries the search list first.
        "one dot ['192.0.2.32']",
        # timeout:1 attempts:1: a dead server fails with DNSTimeout soon.
        "dead server DNSTimeout",
    ], out + err


def test_ndots_default_contrast(server):
    # The same name under ndots:1 is asked as it is first: the environment
    # is what changed the answer above.
    env = {"RES_OPTIONS": "ndots:1", "LOCALDOMAIN": "example.test"}
    script = ENV_SCRIPT.split("hole = ")[0]
    rc, out, err = run_py(script, timeout=30, args=[str(server.port)], env=env)
    assert rc == 0, out + err
    assert out.splitlines() == ["short ['192.0.2.1']", "one dot ['192.0.2.31']"], out + err


def test_cancelled_query_among_others_frees_its_request():
    timeout = 0.5
    with FakeDNS() as fake:
        resolver = dns.Resolver([fake.server], timeout=timeout, tries=1, search=())
        channel = resolver._get_channel()
        baseline = guards.snapshot()

        @idiokit.stream
        def scenario():
            cancelled = dns.a("silent.one.test", resolver)
            waiting = dns.a("silent.two.test", resolver)
            answered = dns.a("ok.three.test", resolver)
            try:
                yield idiokit.timer.timeout(0.05, cancelled)
            except idiokit.timer.Timeout:
                pass
            during = channel._stats()
            ips = yield answered
            try:
                yield waiting
            except dns.DNSTimeout:
                idiokit.stop(during, ips, "timed out")
            idiokit.stop(during, ips, "answered")

        during, ips, waited = run(scenario())
        # The cancelled request was detached at once (its stream is gone),
        # but c-ares still has it: one request more than live ones.
        assert during["pending"] == during["live"] + 1 and during["live"] >= 1
        assert ips == ["192.0.2.1"]
        assert waited == "timed out"

        # c-ares gives the cancelled request up at its own timeout: then the
        # channel is idle and every counter is back at its baseline.  The
        # bound is generous (many times the configured timeout).
        deadline = time.time() + 20 * timeout
        while True:
            stats = channel._stats()
            now = guards.snapshot()
            if stats["pending"] == 0 and not guards.leaked(baseline, now):
                break
            assert time.time() < deadline, (stats, baseline, now)
            run(idiokit.sleep(0.02))
        assert stats == {"pending": 0, "live": 0, "sockets": 0, "timer": 0}


def test_glibc_timeout_and_attempts_options(tmp_path):
    # c-ares 1.18 reads only its own retrans:/retry: spellings; idiokit.dns
    # reads glibc's from the file and RES_OPTIONS (which wins), capped as
    # glibc caps them.
    conf = tmp_path / "resolv.conf"
    conf.write_text(u"nameserver 192.0.2.53\n# options timeout:9\n"
                    u"options ndots:2 timeout:3 attempts:2 rotate\n")
    assert _conf.options(str(conf), {}) == {"timeout": 3.0, "tries": 2}
    assert _conf.options(str(conf), {"RES_OPTIONS": "attempts:9 timeout:x"}) == {
        "timeout": 3.0, "tries": 5}
    assert _conf.options(str(conf), {"RES_OPTIONS": "timeout:99"}) == {
        "timeout": 30.0, "tries": 2}
    assert _conf.options(str(tmp_path / "missing"), {"RES_OPTIONS": "timeout:0"}) == {}


def test_resolv_conf_timeout_reaches_the_channel(tmp_path, monkeypatch):
    conf = tmp_path / "resolv.conf"
    conf.write_text(u"options timeout:1 attempts:1\n")
    monkeypatch.setattr(_conf, "RESOLV_CONF_PATH", str(conf))
    monkeypatch.delenv("RES_OPTIONS", raising=False)
    hole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        hole.bind(("127.0.0.1", 0))
        resolver = dns.Resolver([hole.getsockname()], search=())
        # c-ares's own default (5 s a try, 4 tries) would outlast this bound.
        with pytest.raises(dns.DNSTimeout):
            run(idiokit.timer.timeout(8.0, dns.a("www.example.test", resolver)))
    finally:
        hole.close()
