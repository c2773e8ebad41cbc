import idiokit
from idiokit import dns
from idiokit.http.server import serve_http

@idiokit.stream
def handler(addr, request, response):
    _, _, query = request.uri.partition("/")
    try:
        ipv4_addresses = yield dns.a(query)
    except ValueError:
        yield response.write_status(400)
    except dns.DNSError:
        pass
    else:
        yield response.write("\n".join(ipv4_addresses) + "\n")

idiokit.main_loop(serve_http(handler, "localhost", 8080))
