"""tls_echo / asyncio: Protocol echo server with ssl= (asyncio's SSL transport;
data_received writes straight back).  uvloop.py runs the same code on uvloop."""
import asyncio

import benchutil

common = benchutil.load_sibling(__file__, "_common.py")


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, sock=common["listener"](),
                                      ssl=common["server_context"]())
    common["ready"](server.sockets[0].getsockname()[1])
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
