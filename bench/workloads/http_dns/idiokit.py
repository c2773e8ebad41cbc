"""http_dns / idiokit: the README's example (examples/dns_http_api.py) as it is, but with
its resolver pointed at the benchmark's dnsmasq (the dns workload's zone, cache off) and the
port chosen by the system: GET /<name> answers the name's IPv4 addresses."""
import json
import sys

import idiokit
from idiokit import dns
from idiokit.http.server import serve_http

from benchutil import load_sibling

helper = load_sibling(__file__, "../dns/_dnsmasq.py")
proc, dns_port = helper["start"]()
resolver = dns.Resolver([("127.0.0.1", dns_port)], timeout=0.5, tries=4, search=())


@idiokit.stream
def handler(addr, request, response):
    _, _, query = request.uri.partition("/")
    try:
        ipv4_addresses = yield dns.a(query, resolver)
    except ValueError:
        yield response.write_status(400)
    except dns.DNSError:
        pass
    else:
        yield response.write("\n".join(ipv4_addresses) + "\n")


def ready(address):
    print(json.dumps({"ready": True, "port": address[1]}))
    sys.stdout.flush()


try:
    idiokit.main_loop(serve_http(handler, "127.0.0.1", 0, on_bound=ready))
finally:
    helper["stop"](proc)
