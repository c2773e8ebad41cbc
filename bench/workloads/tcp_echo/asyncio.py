"""tcp_echo / asyncio: Protocol echo server (data_received writes straight back to the
transport). uvloop.py runs the same code on uvloop. Prints the ready line, serves until killed."""
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
    server = await loop.create_server(Echo, sock=common["listener"]())
    common["ready"](server.sockets[0].getsockname()[1])
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
