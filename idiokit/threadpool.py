"""Blocking code in threads: a bounded pool that reuses its workers.

thread(func, *args, **keys) returns a stream (an Event) whose result is
func's return value or exception.  Workers hand results back to the loop
through Event.succeed/fail, which are thread-safe.
"""
from __future__ import absolute_import

import atexit
import collections
import os
import sys
import threading
import weakref

from . import _core

_pools = weakref.WeakSet()     # every ThreadPool, for the retirement at exit


class ThreadPool(object):
    """ThreadPool(idle_time=1.0, max_threads=32): an idle worker exits after
    `idle_time` seconds (the original's only argument, first as there); at
    most `max_threads` workers, and calls beyond the limit wait in FIFO
    order."""

    def __init__(self, idle_time=1.0, max_threads=32):
        if max_threads < 1:
            raise ValueError("max_threads must be at least 1")
        self.max_threads = max_threads
        self.idle_time = idle_time
        self._reset()
        _pools.add(self)

    def _reset(self):
        # Workers do not survive fork(): a child starts with an empty pool.
        self._pid = os.getpid()
        self._lock = threading.Condition(threading.Lock())
        self._jobs = collections.deque()
        self._threads = 0
        self._idle = 0
        self._idle_threads = set()
        self._retiring = False

    def run(self, func, *args, **keys):
        """Call func(*args, **keys) in a worker thread; the returned event
        gives its result (or raises its exception) in the loop's thread.

        On Python 2.7, give subprocess calls made this way close_fds=True
        (Python 3's default): 2.7's Popen marks its error pipe close-on-exec
        only after creating it, so a child forked by another worker in
        between keeps it open and the first call waits for that child too.
        """
        event = _core.Event()
        if self._pid != os.getpid():
            self._reset()
        job = (event, func, args, keys)
        with self._lock:
            self._jobs.append(job)
            if self._idle > 0:
                self._lock.notify()
            # A notified worker counts as idle until it wakes: start another
            # whenever the queued jobs outnumber the idle workers.
            if len(self._jobs) > self._idle and self._threads < self.max_threads:
                self._start_worker(job)
        return event

    def _start_worker(self, job):
        """Start a worker (the lock held).  If the thread cannot start (out
        of memory or of threads) and no other worker exists to take `job`,
        the job fails with that error instead of waiting forever."""
        self._threads += 1
        worker = threading.Thread(target=self._work, name="idiokit-worker")
        worker.daemon = True
        try:
            worker.start()
        except Exception:
            self._threads -= 1
            if self._threads == 0 and job in self._jobs:
                self._jobs.remove(job)
                job[0].fail(*sys.exc_info())

    def _next_job(self):
        with self._lock:
            while not self._jobs:
                if self._retiring:
                    self._threads -= 1
                    return None
                me = threading.current_thread()
                self._idle += 1
                self._idle_threads.add(me)
                self._lock.wait(self.idle_time)
                self._idle_threads.discard(me)
                self._idle -= 1
                if not self._jobs:
                    self._threads -= 1
                    return None
            return self._jobs.popleft()

    def _retire_idle_workers(self, timeout):
        """Wake the idle workers, let them end, and wait (up to `timeout`
        seconds) until they have.  Called at exit on Python 2, whose
        interpreter shutdown clears module globals under a daemon thread
        still waiting in Condition.wait, which then dies with a traceback
        on stderr.  Workers busy in a call are left alone."""
        if self._pid != os.getpid():
            return      # a forked child: the workers (and the lock's state) are the parent's
        with self._lock:
            self._retiring = True
            self._lock.notify_all()
            idle = list(self._idle_threads)
        for worker in idle:
            worker.join(timeout)

    def _work(self):
        while True:
            job = self._next_job()
            if job is None:
                return
            event, func, args, keys = job
            try:
                result = func(*args, **keys)
            except BaseException:
                event.fail(*sys.exc_info())
            else:
                event.succeed(result)
            del job, event, func, args, keys

    @property
    def threads(self):
        """How many workers exist now."""
        return self._threads


global_threadpool = ThreadPool()
thread = global_threadpool.run


def _retire_idle_workers_at_exit():
    for pool in list(_pools):
        pool._retire_idle_workers(1.0)


if sys.version_info[0] == 2:
    atexit.register(_retire_idle_workers_at_exit)
