"""http_dns / aiohttp: the same API as an aiohttp.web application on uvloop, resolving with
aiodns against the benchmark's dnsmasq."""
import asyncio
import json
import signal
import sys

import aiodns
import uvloop
from aiohttp import web

from benchutil import load_sibling

helper = load_sibling(__file__, "../dns/_dnsmasq.py")


async def main(dns_port):
    resolver = aiodns.DNSResolver(nameservers=["127.0.0.1"], udp_port=dns_port,
                                  tcp_port=dns_port, timeout=0.5, tries=4)

    async def lookup(request):
        try:
            result = await resolver.query(request.match_info["name"], "A")
        except (aiodns.error.DNSError, UnicodeError, ValueError):
            return web.Response(text="")
        return web.Response(text="".join(r.host + "\n" for r in result))

    app = web.Application()
    app.router.add_get("/{name}", lookup)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print(json.dumps({"ready": True, "port": site._server.sockets[0].getsockname()[1]}))
    sys.stdout.flush()
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    proc, port = helper["start"]()
    try:
        uvloop.install()
        asyncio.run(main(port))
    finally:
        helper["stop"](proc)
