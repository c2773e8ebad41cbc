"""tools/soak.py: `make soak`: a mixed load on one idiokit loop for a set
time, sampled between rounds, failing when anything grows after warm-up.

The load runs in rounds of --round seconds.  Each round starts, all at once:
echo clients against an idiokit echo server (short connections with random
sizes, some cut by tiny recv timeouts or reset), a three-stage pipe passing
messages, timers (sleeps, timeouts that fire, sleeps cancelled before they
fire), DNS lookups against a dnsmasq started here, jobs in threads (some
abandoned by a timeout), and streams cancelled at random moments with
throw().  At the end of a round every worker has finished; the process's
RSS, its open fds and the core's live counters (idiokit._core._debug_stats)
are sampled then, once the loop has finished what was in flight (at most
3 s), when only the long-lived server is alive.

After the warm-up (--warmup, default a fifth of the run) the fd count and
the live counters must equal their first post-warm-up sample in every later
sample, and RSS must grow less than 1%: the lowest sample of the last third
against the lowest of the first third.  The floor, not a median: memory
glibc keeps after a burst of large messages comes and goes (samples 1-2 MB
above the floor that fall back a round later), while a leak raises the
floor itself.  Prints one JSON line per sample and a verdict; exits 1 on
growth.

Usage: python tools/soak.py [--seconds 600] [--round 5] [--seed N]
"""
from __future__ import absolute_import, print_function

import argparse
import gc
import json
import os
import random
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

import idiokit  # noqa: E402
import idiokit._core  # noqa: E402
from idiokit import dns, socket, timer  # noqa: E402
from support.dnsmasq import Dnsmasq  # noqa: E402
from support.util import produce  # noqa: E402

COUNTERS = ("streams", "tasks", "watchers", "msgs", "timers")
ZONE = {"www.soak.test": "192.0.2.10", "api.soak.test": "192.0.2.11"}
PAGE = os.sysconf("SC_PAGE_SIZE")


OPS = dict.fromkeys(("echoes", "connections", "cut_short", "pipes", "messages", "timers",
                     "lookups", "cancelled_lookups", "thread_jobs", "abandoned_jobs",
                     "cancelled_sleeps"), 0)


class Cancel(Exception):
    pass


def live():
    gc.collect()
    stats = idiokit._core._debug_stats()
    return tuple(stats[key] for key in COUNTERS)


def settle(idle, seconds=3.0):
    """Let the loop finish what the round's last moments left in flight (a
    server handler seeing its client's EOF) before sampling: run it until
    the counters are back to the idle state (the server alone), or at most
    `seconds` (then the sample shows what stayed)."""
    deadline = time.time() + seconds
    while live() != idle and time.time() < deadline:
        idiokit.main_loop(idiokit.sleep(0.02), catch_signals=())


def sample():
    gc.collect()
    stats = idiokit._core._debug_stats()
    with open("/proc/self/statm") as f:
        rss = int(f.read().split()[1]) * PAGE
    return dict([("rss", rss), ("fds", len(os.listdir("/proc/self/fd")))] +
                [(key, stats[key]) for key in COUNTERS])


@idiokit.stream
def echo_server(listener):
    while True:
        try:
            conn, _ = yield listener.accept()
        except socket.SocketError:
            return
        echo_handler(conn)


@idiokit.stream
def echo_handler(conn):
    try:
        while True:
            data = yield conn.recv(65536, timeout=10)
            if not data:
                break
            yield conn.sendall(data, timeout=10)
    except socket.SocketError:
        pass
    finally:
        yield conn.close()


@idiokit.stream
def echo_client(address, rng, deadline):
    while time.time() < deadline:
        sock = socket.Socket()
        try:
            yield sock.connect(address, timeout=5)
            for _ in range(rng.randint(1, 5)):
                payload = os.urandom(rng.choice((1, 100, 4096, 65536, 200000)))
                yield sock.sendall(payload, timeout=5)
                got = b""
                limit = 0.0001 if rng.random() < 0.05 else 5   # sometimes cut short
                while len(got) < len(payload):
                    got += yield sock.recv(len(payload) - len(got), timeout=limit)
                if got != payload:
                    raise AssertionError("echo corrupted: %d bytes sent, %d back" % (
                        len(payload), len(got)))
                OPS["echoes"] += 1
            OPS["connections"] += 1
        except socket.SocketTimeout:
            OPS["cut_short"] += 1
        finally:
            yield sock.close()


@idiokit.stream
def pipe_worker(rng, deadline):
    @idiokit.stream
    def double():
        while True:
            item = yield idiokit.next()
            yield idiokit.send(item * 2)

    @idiokit.stream
    def total(count):
        result = 0
        for _ in range(count):
            result += yield idiokit.next()
        idiokit.stop(result)

    while time.time() < deadline:
        count = rng.randint(1, 2000)
        result = yield produce(range(count)) | double() | total(count)
        if result != count * (count - 1):
            raise AssertionError("pipe lost messages: %r" % (result,))
        OPS["pipes"] += 1
        OPS["messages"] += count


@idiokit.stream
def timer_worker(rng, deadline):
    while time.time() < deadline:
        kind = rng.randint(0, 2)
        OPS["timers"] += 1
        if kind == 0:
            yield idiokit.sleep(rng.random() * 0.01)
        elif kind == 1:
            try:
                yield timer.timeout(0.001, idiokit.sleep(1))
            except timer.Timeout:
                pass
        else:
            pending = [idiokit.sleep(10) for _ in range(10)]
            yield idiokit.sleep(0)
            for stream in pending:
                stream.throw(Cancel())
                try:
                    yield stream
                except Cancel:
                    OPS["cancelled_sleeps"] += 1


@idiokit.stream
def dns_worker(resolver, rng, deadline):
    while time.time() < deadline:
        name = rng.choice(list(ZONE) + ["missing.soak.test"])
        try:
            ips = yield timer.timeout(5, dns.a(name, resolver))
        except dns.DNSError:
            if name in ZONE:
                raise
            continue
        if ips != [ZONE[name]]:
            raise AssertionError("lookup of %s gave %r" % (name, ips))
        OPS["lookups"] += 1
        if rng.random() < 0.1:
            lookup = dns.a(name, resolver)      # cancelled in flight
            yield idiokit.sleep(0)
            lookup.throw(Cancel())
            try:
                yield lookup
            except Cancel:
                OPS["cancelled_lookups"] += 1


@idiokit.stream
def thread_worker(rng, deadline):
    while time.time() < deadline:
        if rng.random() < 0.2:
            try:
                yield timer.timeout(0.001, idiokit.thread(time.sleep, 0.02))
            except timer.Timeout:
                OPS["abandoned_jobs"] += 1
        else:
            value = yield idiokit.thread(sum, range(rng.randint(0, 1000)))
            assert value >= 0
            OPS["thread_jobs"] += 1


@idiokit.stream
def soak_round(address, resolver, rng, seconds):
    deadline = time.time() + seconds
    workers = [echo_client(address, rng, deadline) for _ in range(6)]
    workers += [pipe_worker(rng, deadline), timer_worker(rng, deadline),
                dns_worker(resolver, rng, deadline), dns_worker(resolver, rng, deadline),
                thread_worker(rng, deadline), thread_worker(rng, deadline)]
    for worker in workers:
        yield worker


def verdict(samples, warm_index):
    after = samples[warm_index:]
    problems = []
    for key in ("fds",) + COUNTERS:
        if any(s[key] != after[0][key] for s in after):
            problems.append("%s changed after warm-up: %r" % (key, [s[key] for s in after]))
    third = max(1, len(after) // 3)
    first = min(s["rss"] for s in after[:third])
    last = min(s["rss"] for s in after[-third:])
    growth = (last - first) / float(first)
    if growth >= 0.01:
        problems.append("RSS grew %.2f%% after warm-up (%d -> %d bytes)" % (
            100 * growth, first, last))
    return growth, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--round", type=float, default=5)
    parser.add_argument("--warmup", type=float, default=None)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    warmup = args.warmup if args.warmup is not None else max(args.round * 2, args.seconds / 5)
    rounds = max(int(args.seconds // args.round), 6)
    print(json.dumps({"soak": "start", "seconds": args.seconds, "round": args.round,
                      "warmup": warmup, "seed": seed}))
    zone = ["--local=/soak.test/"] + ["--host-record=%s,%s" % item for item in sorted(ZONE.items())]
    with Dnsmasq(zone) as server:
        resolver = dns.Resolver([server.server], timeout=2.0, tries=3, search=())
        listener = socket.Socket()
        idiokit.main_loop(listener.bind(("127.0.0.1", 0)), catch_signals=())
        idiokit.main_loop(listener.listen(256), catch_signals=())
        address = idiokit.main_loop(listener.getsockname(), catch_signals=())
        serving = echo_server(listener)
        idiokit.main_loop(idiokit.sleep(0.05), catch_signals=())
        idle = live()
        samples = []
        warm_index = None
        start = time.time()
        for number in range(rounds):
            idiokit.main_loop(soak_round(address, resolver, rng, args.round), catch_signals=())
            settle(idle)
            now = sample()
            now["t"] = round(time.time() - start, 1)
            samples.append(now)
            print(json.dumps(now))
            sys.stdout.flush()
            if warm_index is None and now["t"] >= warmup:
                warm_index = len(samples)
        idiokit.main_loop(listener.close(), catch_signals=())
        del serving
    if warm_index is None or len(samples) - warm_index < 3:
        warm_index = max(0, len(samples) - 3)
    growth, problems = verdict(samples, warm_index)
    result = {"soak": "done", "rounds": len(samples), "seconds": round(time.time() - start, 1),
              "rss_growth_percent": round(100 * growth, 3),
              "rss_after_warmup": samples[warm_index]["rss"], "operations": OPS,
              "problems": problems}
    print(json.dumps(result))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
