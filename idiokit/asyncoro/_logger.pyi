import types
from _typeshed import Incomplete

class Logger:
    DEBUG: int
    INFO: int
    WARN: int
    WARNING: int
    ERROR: int
    CRITICAL: int
    FATAL: int
    name: Incomplete
    stream: Incomplete
    level: Incomplete
    log_ms: Incomplete
    def __init__(self, name, stream=None, level=None, log_ms: bool = False) -> None: ...
    def setLevel(self, level) -> None: ...
    def show_ms(self, flag) -> None: ...
    def log(self, message, *args) -> None: ...
    debug: Incomplete
    info: Incomplete
    warning: Incomplete
    warn: Incomplete
    error: Incomplete
    critical: Incomplete
    fatal: Incomplete
    def flush(self) -> None: ...
    shutdown = flush
    def __enter__(self): ...
    def __exit__(self, *exc_info) -> None: ...

logger: Incomplete
