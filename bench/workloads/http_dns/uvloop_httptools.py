"""http_dns / uvloop_httptools: the same API as an asyncio Protocol on uvloop with httptools,
resolving with aiodns against the benchmark's dnsmasq; answers in request order (chunked, as
idiokit's example does)."""
import asyncio
import json
import signal
import sys

import aiodns
import httptools
import uvloop

from benchutil import load_sibling

helper = load_sibling(__file__, "../dns/_dnsmasq.py")


class HttpProtocol(asyncio.Protocol):
    resolver = None

    def connection_made(self, transport):
        self.transport = transport
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""
        self.tail = None        # the previous answer's task: answers keep request order

    def data_received(self, data):
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.close()

    def on_url(self, url):
        self.url += url

    def on_message_complete(self):
        url, self.url = self.url, b""
        keep = self.parser.should_keep_alive()
        self.tail = asyncio.ensure_future(self.answer(url, keep, self.tail))

    async def answer(self, url, keep, previous):
        name = url.decode("latin-1").partition("/")[2]
        status, body = b"200 OK", b""
        try:
            result = await self.resolver.query(name, "A")
            body = "".join(r.host + "\n" for r in result).encode("ascii")
        except (aiodns.error.DNSError, UnicodeError, ValueError):
            pass
        if previous is not None:
            await previous
        head = b"HTTP/1.1 " + status + b"\r\ntransfer-encoding: chunked\r\n\r\n"
        chunk = b"%x\r\n%s\r\n" % (len(body), body) if body else b""
        self.transport.write(head + chunk + b"0\r\n\r\n")
        if not keep:
            self.transport.close()


async def main(dns_port):
    loop = asyncio.get_running_loop()
    HttpProtocol.resolver = aiodns.DNSResolver(nameservers=["127.0.0.1"], udp_port=dns_port,
                                               tcp_port=dns_port, timeout=0.5, tries=4)
    server = await loop.create_server(HttpProtocol, "127.0.0.1", 0, backlog=1024)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print(json.dumps({"ready": True, "port": server.sockets[0].getsockname()[1]}))
    sys.stdout.flush()
    await stop.wait()


if __name__ == "__main__":
    proc, port = helper["start"]()
    try:
        uvloop.install()
        asyncio.run(main(port))
    finally:
        helper["stop"](proc)
