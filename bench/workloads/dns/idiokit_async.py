"""dns / idiokit (async def streams): as idiokit.py with `await idiokit.dns.a(...)`."""
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
async def worker(first, count):
    for i in range(first, first + count):
        name = NAMES[i % len(NAMES)]
        ips = await dns.a(name, resolver)
        if ips != answers[name]:
            bad.append((name, ips))


@idiokit.stream
async def main():
    per = P["n"] // P["concurrency"]
    start = clock()
    workers = [worker(w * per, per) for w in range(P["concurrency"])]
    for w in workers:
        await w
    return clock() - start, per * P["concurrency"]


try:
    seconds, done = idiokit.main_loop(main())
finally:
    helper["stop"](proc)
if bad:
    raise SystemExit("wrong answers: %r" % (bad[:3],))
emit(n=done, seconds=seconds, rate=done / seconds)
