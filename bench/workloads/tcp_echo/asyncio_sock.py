"""tcp_echo / asyncio sock_*: `await loop.sock_recv(conn, n)` and `await loop.sock_sendall(conn,
data)` on non-blocking standard sockets. uvloop_sock.py runs the same code on uvloop."""
import asyncio

import benchutil

common = benchutil.load_sibling(__file__, "_common.py")


async def handle(loop, conn):
    try:
        while True:
            data = await loop.sock_recv(conn, common["BUFSIZE"])
            if not data:
                break
            await loop.sock_sendall(conn, data)
    except ConnectionError:
        pass
    conn.close()


async def main():
    loop = asyncio.get_running_loop()
    lsock = common["listener"]()
    common["ready"](lsock.getsockname()[1])
    while True:
        conn, _ = await loop.sock_accept(lsock)
        conn.setblocking(False)
        common["nodelay"](conn)
        loop.create_task(handle(loop, conn))


if __name__ == "__main__":
    asyncio.run(main())
