"""http_hello / uvloop_httptools: an asyncio Protocol on uvloop parsing with httptools (the
llhttp binding uvicorn uses), answering each complete request with one transport.write."""
import asyncio
import json
import sys

import httptools
import uvloop

RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n"
            b"Hello, World!")


class HttpProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.parser = httptools.HttpRequestParser(self)

    def data_received(self, data):
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.close()

    def on_message_complete(self):
        self.transport.write(RESPONSE)
        if not self.parser.should_keep_alive():
            self.transport.close()


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(HttpProtocol, "127.0.0.1", 0, backlog=1024)
    print(json.dumps({"ready": True, "port": server.sockets[0].getsockname()[1]}))
    sys.stdout.flush()
    await server.serve_forever()


if __name__ == "__main__":
    uvloop.install()
    asyncio.run(main())
