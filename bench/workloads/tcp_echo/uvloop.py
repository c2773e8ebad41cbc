"""tcp_echo / uvloop: asyncio.py's server, unchanged, on uvloop."""
import asyncio

import uvloop

import benchutil

if __name__ == "__main__":
    uvloop.install()
    asyncio.run(benchutil.load_sibling(__file__, "asyncio.py")["main"]())
