"""tcp_echo / asyncio streams: start_server, `await reader.read(n)`, `writer.write(data)`,
`await writer.drain()`. uvloop_streams.py runs the same code on uvloop."""
import asyncio

import benchutil

common = benchutil.load_sibling(__file__, "_common.py")


async def handle(reader, writer):
    try:
        while True:
            data = await reader.read(common["BUFSIZE"])
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def main():
    server = await asyncio.start_server(handle, sock=common["listener"]())
    common["ready"](server.sockets[0].getsockname()[1])
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
