"""group_spawn / uvloop: the asyncio script's code (asyncio.TaskGroup), run on uvloop's loop."""
import uvloop

from benchutil import emit, load_sibling, params

code = load_sibling(__file__, "asyncio.py")
emit(**uvloop.run(code["main"](params(**code["DEFAULTS"]))))
