"""dns / idiokit (generator streams): `concurrency` workers each resolving its share of `n`
A queries with `yield idiokit.dns.a(name, resolver)`, so `concurrency` are in flight."""
import idiokit
import idiokit.dns as dns

from benchutil import clock, emit, load_sibling, params

P = params(n=20000, concurrency=1000, timeout=0.2, tries=10)
helper = load_sibling(__file__, "_dnsmasq.py")
NAMES = helper["NAMES"]
proc, port = helper["start"]()
resolver = dns.Resolver([("127.0.0.1", port)], timeout=P["timeout"], tries=P["tries"], search=())
answers = {name: [helper["expected"](name)] for name in NAMES}
bad = []


@idiokit.stream
def worker(first, count):
    for i in range(first, first + count):
        name = NAMES[i % len(NAMES)]
        ips = yield dns.a(name, resolver)
        if ips != answers[name]:
            bad.append((name, ips))


@idiokit.stream
def main():
    per = P["n"] // P["concurrency"]
    start = clock()
    workers = [worker(w * per, per) for w in range(P["concurrency"])]
    for w in workers:
        yield w
    idiokit.stop(clock() - start, per * P["concurrency"])


try:
    seconds, done = idiokit.main_loop(main())
finally:
    helper["stop"](proc)
if bad:
    raise SystemExit("wrong answers: %r" % (bad[:3],))
emit(n=done, seconds=seconds, rate=done / seconds)
