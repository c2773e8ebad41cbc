"""tcp_echo / uvloop_streams: asyncio_streams.py's server, unchanged, on uvloop."""
import asyncio

import uvloop

import benchutil

if __name__ == "__main__":
    uvloop.install()
    asyncio.run(benchutil.load_sibling(__file__, "asyncio_streams.py")["main"]())
