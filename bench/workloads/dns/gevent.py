"""dns / gevent: gevent.resolver.ares.Resolver (gevent's c-ares resolver), `concurrency`
greenlets each resolving its share of `n` names with `resolver.gethostbyname(name)`."""
import gevent
from gevent.resolver.ares import Resolver

from benchutil import clock, emit, load_sibling, params

P = params(n=20000, concurrency=1000, timeout=0.2, tries=10)
helper = load_sibling(__file__, "_dnsmasq.py")
NAMES = helper["NAMES"]
proc, port = helper["start"]()
bad = []
try:
    resolver = Resolver(servers=["127.0.0.1"], udp_port=port, tcp_port=port,
                        timeout=P["timeout"], tries=P["tries"], use_environ=False)

    def worker(first, count):
        for i in range(first, first + count):
            name = NAMES[i % len(NAMES)]
            ip = resolver.gethostbyname(name)
            if ip != helper["expected"](name):
                bad.append((name, ip))

    per = P["n"] // P["concurrency"]
    start = clock()
    gevent.joinall([gevent.spawn(worker, w * per, per) for w in range(P["concurrency"])],
                   raise_error=True)
    seconds = clock() - start
finally:
    helper["stop"](proc)
if bad:
    raise SystemExit("wrong answers: %r" % (bad[:3],))
done = per * P["concurrency"]
emit(n=done, seconds=seconds, rate=done / seconds)
