"""AsyncDBCursor: a DB-API cursor whose execute, executemany and callproc
run in an AsyncThreadPool, one at a time per cursor, as asyncoro's."""
from __future__ import absolute_import


class AsyncDBCursor(object):
    """AsyncDBCursor(thread_pool, cursor): `yield cur.execute(query, args)`;
    every other attribute (fetchone, rowcount, ...) is the cursor's own."""

    def __init__(self, thread_pool, cursor):
        from . import Semaphore
        self._pool = thread_pool
        self._cursor = cursor
        self._turn = Semaphore(1)

    def __getattr__(self, name):
        return getattr(self._cursor, name)

    def _run(self, func, *args):
        yield self._turn.acquire()
        try:
            result = yield self._pool.async_task(func, *args)
        finally:
            self._turn.release()
        raise StopIteration(result)

    def execute(self, query, args=None):
        """`yield cur.execute(query, args=None)`: the cursor's execute, in the pool."""
        if args is None:
            return self._run(self._cursor.execute, query)
        return self._run(self._cursor.execute, query, args)

    def executemany(self, query, args):
        """`yield cur.executemany(query, args)`: the cursor's executemany, in the pool."""
        return self._run(self._cursor.executemany, query, args)

    def callproc(self, proc, args=()):
        """`yield cur.callproc(proc, args=())`: the cursor's callproc, in the pool."""
        return self._run(self._cursor.callproc, proc, args)
