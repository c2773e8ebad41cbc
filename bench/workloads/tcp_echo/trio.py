"""tcp_echo / trio: serve_tcp, `await stream.receive_some(n)` / `await stream.send_all(data)`."""
import functools

import trio

import benchutil

common = benchutil.load_sibling(__file__, "_common.py")


async def handle(stream):
    try:
        while True:
            data = await stream.receive_some(common["BUFSIZE"])
            if not data:
                break
            await stream.send_all(data)
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        pass


async def main():
    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(functools.partial(trio.serve_tcp, handle, 0, host="127.0.0.1"))
        common["ready"](listeners[0].socket.getsockname()[1])


if __name__ == "__main__":
    trio.run(main)
