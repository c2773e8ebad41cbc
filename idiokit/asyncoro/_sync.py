"""asyncoro's synchronisation: Lock, RLock, Event, Condition, Semaphore
(FIFO waits, no OS locks: call them on the scheduler thread), and
AsyncThreadPool over idiokit's thread pool."""
from __future__ import absolute_import

import collections

from .. import _core
from ..idiokit import stream, stop
from ..threadpool import thread as _thread
from ._waiting import _Waiter, _done

_cur_coro = _core.coro_current


def _wait_time(timeout):
    """asyncoro's lock timeouts: None or negative (the default -1) waits
    for ever."""
    if timeout is None or timeout < 0:
        return None
    return timeout


class Lock(object):
    """`ok = yield lock.acquire(blocking=True, timeout=-1)`: True, or False
    on timeout (a negative timeout waits for ever) or when not blocking and
    held; release() by the owner, without yield."""

    def __init__(self):
        self._owner = None
        self._locked = False
        self._waiters = collections.deque()

    def acquire(self, blocking=True, timeout=-1):
        """`ok = yield lock.acquire(blocking=True, timeout=-1)`: True once held;
        False when not blocking and held, or on timeout (negative: wait for ever)."""
        return self._acquire_for(_cur_coro(), blocking, timeout)

    def _acquire_for(self, me, blocking=True, timeout=-1):
        if not self._locked:
            self._locked = True
            self._owner = me
            return _done(True)
        if not blocking:
            return _done(False)
        waiter = _Waiter(_wait_time(timeout), False)
        self._waiters.append((waiter, me))
        return waiter.event

    def release(self):
        """Release the lock (not yielded); RuntimeError if it is unlocked or
        held by another coroutine."""
        if not self._locked:
            raise RuntimeError("release of an unlocked lock")
        me = _cur_coro()
        if me is not None and self._owner is not None and me is not self._owner:
            raise RuntimeError("release of a lock held by another coroutine")
        self._pass_on()

    def _pass_on(self):
        while self._waiters:
            waiter, owner = self._waiters.popleft()
            self._owner = owner
            if waiter.wake(True):
                return        # ownership passes on
        self._locked = False
        self._owner = None

    def locked(self):
        """True while held."""
        return self._locked


class RLock(Lock):
    """Lock that its owner may acquire again; released as often."""

    def __init__(self):
        Lock.__init__(self)
        self._depth = 0

    def _acquire_for(self, me, blocking=True, timeout=-1):
        if self._locked and self._owner is me:
            self._depth += 1
            return _done(True)
        return _rlock_acquired(self, Lock._acquire_for(self, me, blocking, timeout), me)

    def release(self):
        """Undo one acquire; the last one releases the lock."""
        if self._depth > 1:
            me = _cur_coro()
            if me is not None and me is not self._owner:
                raise RuntimeError("release of a lock held by another coroutine")
            self._depth -= 1
            return
        self._depth = 0
        Lock.release(self)


@stream
def _rlock_acquired(lock, acquiring, me):
    got = yield acquiring
    if got:
        lock._owner = me
        lock._depth = 1
    stop(got)


class Event(object):
    """set(), clear(), is_set(), and `ok = yield event.wait(timeout=None)`:
    True once set, False on timeout.  The waits without a timeout share one
    core Event, so an idle waiter costs no object of its own."""

    def __init__(self):
        self._flag = False
        self._shared = None     # the core Event the untimed waits yield
        self._waiters = []      # the timed waits' _Waiters

    def set(self):
        """Set the flag and wake every waiter (not yielded)."""
        self._flag = True
        shared, self._shared = self._shared, None
        if shared is not None:
            shared.succeed(True)
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.wake(True)

    def clear(self):
        """Reset the flag."""
        self._flag = False

    def is_set(self):
        """True while the flag is set."""
        return self._flag

    isSet = is_set

    def wait(self, timeout=None):
        """`ok = yield event.wait(timeout=None)`: True once set, False on timeout."""
        if self._flag:
            return _done(True)
        if timeout is None:
            if self._shared is None:
                # A waiter thrown into (terminate) leaves a shared Event
                # without failing it for the others.
                self._shared = _core.shared_event()
            return self._shared
        waiter = _Waiter(timeout, False)
        self._waiters.append(waiter)
        return waiter.event


class Condition(object):
    """Condition(lock=None): acquire()/release() as its lock (an RLock by
    default), `ok = yield cond.wait(timeout=None)` (True when notified,
    False on timeout; the lock is taken back either way), notify(n=1),
    notify_all()."""

    def __init__(self, lock=None):
        self._lock = lock if lock is not None else RLock()
        self._waiters = []
        self.acquire = self._lock.acquire
        self.release = self._lock.release

    def wait(self, timeout=None):
        """`ok = yield cond.wait(timeout=None)`: release the lock, wait for notify
        (True) or the timeout (False), then take the lock back."""
        waiter = _Waiter(timeout, False)
        self._waiters.append(waiter)
        self._lock.release()
        return _cond_wait(self, waiter, _cur_coro())

    def notify(self, n=1):
        """Wake up to `n` waiters."""
        while n > 0 and self._waiters:
            if self._waiters.pop(0).wake(True):
                n -= 1

    def notify_all(self):
        """Wake every waiter."""
        self.notify(len(self._waiters))

    notifyAll = notify_all


@stream
def _cond_wait(cond, waiter, me):
    """Wait to be notified, then take the lock back for `me`, the waiting
    coroutine (this stream runs outside it: cur_coro() is None here)."""
    woken = yield waiter.event
    acquire_for = getattr(cond._lock, "_acquire_for", None)
    yield acquire_for(me) if acquire_for is not None else cond._lock.acquire()
    stop(woken)


class Semaphore(object):
    """Semaphore(value=1): `yield sem.acquire(blocking=True, timeout=None)`
    takes one (True, or False when not blocking or on timeout); release()
    gives one back."""

    def __init__(self, value=1):
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        self._value = value
        self._waiters = collections.deque()

    def acquire(self, blocking=True, timeout=None):
        """`ok = yield sem.acquire(blocking=True, timeout=None)`: True once one is
        taken; False when not blocking and none is free, or on timeout."""
        if self._value > 0:
            self._value -= 1
            return _done(True)
        if not blocking:
            return _done(False)
        waiter = _Waiter(timeout, False)
        self._waiters.append(waiter)
        return waiter.event

    def release(self):
        """Give one back (to the first waiter, if any)."""
        while self._waiters:
            if self._waiters.popleft().wake(True):
                return
        self._value += 1


class AsyncThreadPool(object):
    """`result = yield pool.async_task(func, *args, **kwargs)` runs func in
    idiokit's thread pool (num_threads is accepted for compatibility)."""

    def __init__(self, num_threads=None):
        self.num_threads = num_threads

    def async_task(self, func, *args, **kwargs):
        """`result = yield pool.async_task(func, *args, **kwargs)`: func's result
        (or exception), run in idiokit's thread pool."""
        return _thread(func, *args, **kwargs)

    def join(self, timeout=None):
        """Nothing to wait for: kept for compatibility."""
        pass

    def terminate(self):
        """Nothing to stop (idiokit's pool is shared): kept for compatibility."""
        pass
