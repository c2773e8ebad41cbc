from typing import Any, Optional
from .. import asyncoro as _asyncoro
from ..asyncoro import AsyncDBCursor as AsyncDBCursor, AsyncThreadPool as AsyncThreadPool, CategorizeMessages as CategorizeMessages, Channel as Channel, Condition as Condition, Event as Event, HotSwapException as HotSwapException, Lock as Lock, Logger as Logger, MonitorException as MonitorException, RLock as RLock, Semaphore as Semaphore, Singleton as Singleton, deserialize as deserialize, serialize as serialize, unserialize as unserialize
from _typeshed import Incomplete

__all__ = ['Task', 'Pycos', 'AsyncSocket', 'Lock', 'RLock', 'Event', 'Condition', 'Semaphore', 'Channel', 'CategorizeMessages', 'AsyncThreadPool', 'AsyncDBCursor', 'HotSwapException', 'MonitorException', 'Logger', 'logger', 'serialize', 'deserialize', 'unserialize', 'Singleton']

Pycos = _asyncoro.AsynCoro
logger: Logger

class Task(_asyncoro.Coro): ...

class AsyncSocket(_asyncoro.AsyncSocket):
    def __init__(self, sock: Any, blocking: bool = ..., keyfile: Optional[str] = ...,
                 certfile: Optional[str] = ..., ssl_version: Optional[int] = ...,
                 ssl_context: Any = ...) -> None: ...
