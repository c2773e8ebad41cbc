"""tls_echo / uvloop: asyncio.py's server, unchanged, on uvloop (uvloop's SSL protocol)."""
import asyncio

import uvloop

import benchutil

if __name__ == "__main__":
    uvloop.install()
    asyncio.run(benchutil.load_sibling(__file__, "asyncio.py")["main"]())
