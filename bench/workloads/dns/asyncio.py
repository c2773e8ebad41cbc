"""dns / asyncio: aiodns (pycares) with `concurrency` tasks each resolving its share of `n`
A queries, `await resolver.query(name, "A")`."""
import asyncio

import aiodns

from benchutil import clock, emit, load_sibling, params

DEFAULTS = dict(n=20000, concurrency=1000, timeout=0.2, tries=10)


async def main(P):
    helper = load_sibling(__file__, "_dnsmasq.py")
    names = helper["NAMES"]
    proc, port = helper["start"]()
    try:
        resolver = aiodns.DNSResolver(nameservers=["127.0.0.1"], udp_port=port, tcp_port=port,
                                      timeout=P["timeout"], tries=P["tries"])
        answers = {name: [helper["expected"](name)] for name in names}
        bad = []

        async def worker(first, count):
            for i in range(first, first + count):
                name = names[i % len(names)]
                result = await resolver.query(name, "A")
                ips = [r.host for r in result]
                if ips != answers[name]:
                    bad.append((name, ips))

        per = P["n"] // P["concurrency"]
        start = clock()
        await asyncio.gather(*[worker(w * per, per) for w in range(P["concurrency"])])
        seconds = clock() - start
    finally:
        helper["stop"](proc)
    if bad:
        raise SystemExit("wrong answers: %r" % (bad[:3],))
    done = per * P["concurrency"]
    return dict(n=done, seconds=seconds, rate=done / seconds)


if __name__ == "__main__":
    emit(**asyncio.run(main(params(**DEFAULTS))))
