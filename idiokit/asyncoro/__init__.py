"""idiokit.asyncoro: the single-machine API of asyncoro/pycos on idiokit.

A Coro drives a plain generator function: `yield` of a stream (a socket
operation, sleep, receive, ...) waits for it, `yield` of a generator runs it
as a sub-coroutine, and `yield` of anything else is a yield point that gives
the value back.  Every Coro is an idiokit stream underneath (`coro.stream`),
run by one scheduler thread that runs the idiokit loop; at interpreter exit
the scheduler waits for every non-daemon Coro to finish, as asyncoro does.

Rules kept from asyncoro: Coro(func, *args, **kwargs) passes itself as the
`coro` keyword when func declares `coro` with a default; a Coro's value is
its return value (also `raise StopIteration(v)`, even under PEP 479) or its
last yielded value; socket timeouts raise socket.timeout.  The generators
are stepped in C (src/asyncoro_driver.c), so no Python code of this module
runs per yield.  Not provided: the distributed parts (peers, remote
coroutines).  AsyncSocket's TLS arguments (certfile, keyfile, ssl_version,
ssl_context) are served by idiokit.ssl.

This file owns the scheduler (AsynCoro), Coro and AsyncSocket; the rest is
in modules of their own: _blocking (AsyncSocket's synchronous mode), _sync
(locks, events, the thread pool), _channel, _categorize, _dbcursor,
_logger, _waiting (waits with an alarm value), asyncfile (files, pipes and
subprocesses).  docs/asyncoro.rst lists every name with its status.
"""
from __future__ import absolute_import

import atexit
import inspect
import logging
import pickle
import socket as _stdsocket
import sys
import threading
import time

try:
    from threading import get_ident as _get_ident
except ImportError:     # Python 2
    from thread import get_ident as _get_ident

from .. import _core
from ..idiokit import Event as _IdkEvent
from ..socket import Socket as _Socket, SocketError, SocketTimeout
from . import _blocking
from ._logger import Logger, logger
from ._categorize import CategorizeMessages
from ._dbcursor import AsyncDBCursor
from ._waiting import _Waiter, _done
from ._channel import Channel
from ._sync import Lock, RLock, Event, Condition, Semaphore, AsyncThreadPool

__all__ = ["Coro", "AsynCoro", "AsyncSocket", "AsynCoroSocket", "Lock", "RLock", "Event",
           "Condition", "Semaphore", "AsyncThreadPool", "AsyncDBCursor", "Channel",
           "CategorizeMessages", "MonitorException", "HotSwapException", "Logger", "logger",
           "serialize", "deserialize", "unserialize", "Singleton", "MetaSingleton"]

_PY2 = sys.version_info[0] < 3
_FunctionType = type(lambda: None)
_log = logging.getLogger("idiokit.asyncoro")


# ---- the scheduler thread ---------------------------------------------------------

class AsynCoro(object):
    """The one scheduler: a daemon thread running the idiokit loop.
    AsynCoro() and AsynCoro.instance() both return it (a singleton, as in
    asyncoro); it starts on first use."""
    _instance = None
    _lock = threading.Lock()

    def __new__(cls, *args, **kwargs):
        with cls._lock:
            if cls._instance is None:
                self = object.__new__(cls)
                self._start()
                cls._instance = self
            return cls._instance

    def __init__(self, *args, **kwargs):
        pass     # asyncoro's arguments are for its networked subclass

    def _start(self):
        self._forever = _IdkEvent()
        # join() waits on _cond until _core.coro_live() (the Coros alive that
        # are not daemons, counted in C) is 0; the last Coro to end notifies it.
        self._cond = threading.Condition(threading.Lock())
        self._thread = threading.Thread(target=self._run, name="asyncoro")
        self._thread.daemon = True
        self._thread.start()
        self._ident = self._thread.ident
        Coro._sched = self
        _core.coro_scheduler(True)
        atexit.register(self.finish)

    @classmethod
    def instance(cls, *args, **kwargs):
        """The scheduler (started on first use)."""
        return cls._instance or cls()

    @staticmethod
    def cur_coro():
        """The running Coro (meaningful on the scheduler thread), or None."""
        return _core.coro_current()

    cur_task = cur_coro     # pycos's name

    @classmethod
    def scheduler(cls):
        """The scheduler if the calling thread is its thread, else None."""
        sched = cls._instance
        return sched if sched is not None and sched.on_loop() else None

    def _run(self):
        _core.run(self._forever)

    def on_loop(self):
        """True if the calling thread is the scheduler's thread."""
        return _get_ident() == self._ident

    def call(self, func, arg=None):
        """Call func(arg) on the scheduler thread (at once if already on it)."""
        if self.on_loop():
            func(arg)
        else:
            _core.post(func, arg)

    @property
    def _live(self):
        """How many non-daemon Coros are alive."""
        return _core.coro_live()

    def _set_daemon(self, coro, daemon):
        if not self.on_loop():
            _core.post(lambda _: self._set_daemon(coro, daemon), None)
            return
        coro._daemon = daemon      # counted in C while the Coro is alive
        if _core.coro_live() <= 0:
            with self._cond:
                self._cond.notify_all()

    def _ended_event(self, coro):
        """A threading.Event set when coro ends, or None if it has: stored
        before _alive is read again, while the loop clears _alive before it
        reads the event, so one of the two sees the other."""
        more = coro._rare()
        if more.ended is None:
            more.ended = threading.Event()
        return more.ended if coro._alive else None

    def join(self, show_running=False, timeout=None):
        """Wait (from a thread, never a coroutine) until every non-daemon
        Coro has ended; the scheduler goes on running.  show_running=True
        prints the names of those still running, every few seconds.
        True if they all ended (False only when `timeout` passed)."""
        if self.on_loop():
            raise RuntimeError("join() is for threads; a coroutine yields coro.finish()")
        deadline = None if timeout is None else _monotonic() + timeout
        shown = _monotonic()
        with self._cond:
            while self._live > 0:
                now = _monotonic()
                if deadline is not None and now >= deadline:
                    return False
                if show_running and now - shown >= 5.0:
                    shown = now
                    print("running coroutines: %s" % ", ".join(
                        sorted(c.name for c in self._live_coros() if not c._daemon)))
                self._cond.wait(0.5 if deadline is None else min(0.5, deadline - now))
        return True

    def finish(self):
        """Wait for every non-daemon Coro, then stop the scheduler."""
        if self._thread.is_alive():
            self.join()
        self._stop()

    def terminate(self):
        """Stop now: every Coro is ended with GeneratorExit (its finally
        blocks run), daemon or not, then the scheduler stops."""
        coros = self._live_coros()
        for coro in coros:
            coro._daemon_now()
            coro.terminate()
        deadline = _monotonic() + 5.0
        while any(coro._alive for coro in coros) and _monotonic() < deadline:
            time.sleep(0.01)
        self._stop()

    def _live_coros(self):
        """Every live Coro of this scheduler (the C type keeps a list: a live
        Coro is out of the cyclic GC)."""
        return _core.coro_all_live()

    def _stop(self):
        self._forever.succeed()
        if not self.on_loop():
            self._thread.join(5.0)
        with AsynCoro._lock:
            if AsynCoro._instance is self:
                AsynCoro._instance = None    # a later Coro starts a new scheduler
                _core.coro_scheduler(False)

    def atexit(self, priority, func, *args, **kwargs):
        """Run func(*args, **kwargs) at interpreter exit, after the
        scheduler has finished (priority is accepted for compatibility)."""
        atexit.register(func, *args, **kwargs)


def _scheduler():
    return AsynCoro._instance or AsynCoro()


_monotonic = getattr(time, "monotonic", time.time)


# ---- Coro -------------------------------------------------------------------------------

def _declares_coro(func, keyword="coro"):
    """Does func take a `coro` (pycos: `task`) keyword with a default?  Read off the code
    object for plain functions (inspect's signature machinery took two
    thirds of the time to create a Coro)."""
    if type(func) is _FunctionType:
        code = func.__code__
        nargs = code.co_argcount
        names = code.co_varnames[:nargs]
        if keyword in names[nargs - len(func.__defaults__ or ()):]:
            return True
        nkwonly = getattr(code, "co_kwonlyargcount", 0)
        return keyword in code.co_varnames[nargs:nargs + nkwonly] and \
            keyword in (func.__kwdefaults__ or {})
    try:
        spec = inspect.getargspec(func) if _PY2 else inspect.getfullargspec(func)
    except TypeError:
        return False
    names, defaults = spec.args, spec.defaults or ()
    if keyword in names[len(names) - len(defaults):]:
        return True
    kwdefaults = getattr(spec, "kwonlydefaults", None) or {}
    return keyword in kwdefaults


def _for_coro(exc):
    """Socket errors as asyncoro programs expect them (socket.timeout)."""
    if isinstance(exc, SocketTimeout):
        return _stdsocket.timeout(*exc.args)
    if _PY2 and isinstance(exc, SocketError) and not isinstance(exc, _stdsocket.error):
        return _stdsocket.error(*exc.args)      # (idiokit.ssl.SSLError already is one)
    return exc


class Coro(_core.Coro):
    """Coro(genfunc, *args, **kwargs) (or Coro(target=genfunc, args=(),
    kwargs={})): create and schedule a coroutine.

    The per-coroutine and per-message parts are _core.Coro's, in C
    (src/coro.c, src/coro_wait.c, src/asyncoro_driver.c): creating it,
    stepping its generators, send/receive, suspend/sleep/resume, finish and
    is_alive, the name and the stream.  This class adds the rest (monitors,
    hot swap, value() from threads, throw, deliver) and the hooks the C
    type calls on rare paths (the methods named _need_scheduler, _injects,
    _translate, _make_waiter, _ended_by and _ended_rare)."""

    __slots__ = ()
    _self_keyword = "coro"     # the keyword that receives the Coro (pycos: "task")
    _inject_cache = {}         # code object -> does it take _self_keyword?
    # The scheduler of every Coro: one at a time (AsynCoro._start sets it),
    # so a class attribute rather than a field per Coro.
    _sched = None

    def __repr__(self):
        return "<%s %s>" % (type(self).__name__, self.name)

    def _rare(self):
        """The fields few Coros use (monitor, value from a thread, hot swap)."""
        more = self._more
        if more is None:
            more = self._more = _Rare()
        return more

    # -- the C type's hooks --

    @staticmethod
    def _need_scheduler():
        """A Coro is made and no scheduler runs: start one."""
        _scheduler()

    def _injects(self, target):
        return _injects(target, self._self_keyword, self._inject_cache)

    @staticmethod
    def _translate(exc):
        return _for_coro(exc)

    @staticmethod
    def _make_waiter(timeout, alarm_value):
        return _Waiter(timeout, alarm_value)

    def _ended_by(self, exc, tb):
        """The generators ended with exc: the new generator of an accepted
        hot swap, else None after logging the failure."""
        if isinstance(exc, HotSwapException):
            gen = self._accept_swap(exc)
            if gen is not None:
                return gen
        if not isinstance(exc, GeneratorExit):
            _log.error("coroutine %s failed: %r", self.name, exc, exc_info=(type(exc), exc, tb))
        return None

    def _ended_rare(self):
        """The coroutine ended and has monitors, a waiting thread, or was the
        last one alive that is not a daemon."""
        more = self._more
        if more is not None:
            monitors, more.monitors = more.monitors, ()
            for monitor in monitors:
                monitor.send(MonitorException(self, self._exit_info()))
        sched = self._sched
        if sched is not None and _core.coro_live() <= 0:
            with sched._cond:
                sched._cond.notify_all()
        more = self._more     # again: value() may have made it meanwhile
        if more is not None and more.ended is not None:
            more.ended.set()

    def _exit_info(self):
        exc = self._exc
        if exc is None:
            return (StopIteration, self._value)
        return (type(exc), exc)

    # -- monitoring --

    def monitor(self, observed):
        """`yield coro.monitor(observed)`: when observed ends, coro receives the message
        MonitorException(observed, info): info is (StopIteration, value) after a normal
        end, else (exception type, exception). Gives 0."""
        if not isinstance(observed, Coro):
            raise TypeError("monitor() needs a Coro, not %s" % type(observed).__name__)
        return observed.notify(self)

    def notify(self, monitor):
        """`yield observed.notify(monitor)`: the same as `yield monitor.monitor(observed)`."""
        if not isinstance(monitor, Coro):
            raise TypeError("notify() needs a Coro, not %s" % type(monitor).__name__)

        def _add(_):
            if self._alive:
                more = self._rare()
                if not more.monitors:
                    more.monitors = []
                more.monitors.append(monitor)
            else:
                monitor.send(MonitorException(self, self._exit_info()))
        self._sched.call(_add)
        return _done(0)

    def set_daemon(self, flag=True):
        """A daemon Coro does not hold the process open at exit."""
        self._sched._set_daemon(self, bool(flag))

    def _daemon_now(self):
        self.set_daemon(True)

    def value(self, timeout=None):
        """Block (outside coroutines) until the coroutine ends; its value.
        Called on the scheduler thread it would wait for ever (in asyncoro it
        does): RuntimeError instead."""
        if _get_ident() == self._sched._ident and self._alive:
            raise RuntimeError("value() is for threads; a coroutine yields coro.finish()")
        ended = self._sched._ended_event(self)
        if ended is not None:
            ended.wait(timeout)
        return self._value

    # -- messages --

    def deliver(self, message, timeout=None):
        """`n = yield coro.deliver(msg, timeout)`: on one machine this is send(): 1 once the
        message is in the mailbox, -1 if the coroutine has ended."""
        if not self._alive:
            return _done(-1)
        self.send(message)
        return _done(1)

    # -- exceptions --

    def throw(self, *exc):
        """Raise the exception in the coroutine at its current yield (also
        when it waits in receive, suspend or sleep)."""
        def _throw(_):
            self._throw_now(*exc)
        self._sched.call(_throw)
        return 0

    def _throw_now(self, *exc):
        if self.stream is not None and self._alive:
            waiter = self._wait
            if type(waiter) is _Waiter:
                waiter.abandon()
            self._wait = None
            self.stream.throw(*exc)

    def terminate(self):
        """End the coroutine with GeneratorExit (its finally blocks run)."""
        return self.throw(GeneratorExit())

    # -- hot swap --

    def hot_swappable(self, flag):
        """Called by the coroutine itself: True lets hot_swap() replace its
        generator (a swap asked for earlier is delivered now)."""
        def _set(_):
            more = self._rare()
            more.swappable = bool(flag)
            if more.swappable and more.swap is not None:
                self._deliver_swap()
        self._sched.call(_set)

    def hot_swap(self, target, *args, **kwargs):
        """Replace the coroutine's generator function: the coroutine gets
        HotSwapException(new_generator) at its current yield once it is
        hot_swappable; re-raising it accepts (the old generator is closed,
        the new one starts, the mailbox is kept), catching it declines."""
        keyword = self._self_keyword
        if _injects(target, keyword, {}) and keyword not in kwargs:
            kwargs[keyword] = self
        gen = target(*args, **kwargs)

        def _ask(_):
            more = self._rare()
            more.swap = gen
            if more.swappable:
                self._deliver_swap()
        self._sched.call(_ask)
        return 0

    def _deliver_swap(self):
        more = self._rare()
        gen, more.swap = more.swap, None
        self._throw_now(HotSwapException(gen))

    def _accept_swap(self, exc):
        """An accepted swap: the new generator goes on in the same Coro."""
        gen = exc.args[0] if exc.args else None
        if not inspect.isgenerator(gen):
            return None
        self._rare().swappable = False
        self.name = getattr(gen, "__name__", self.name)
        return gen


class _Rare(object):
    """A Coro's rarely used fields."""
    __slots__ = ("monitors", "ended", "swap", "swappable")

    def __init__(self):
        self.monitors = ()
        self.ended = self.swap = None
        self.swappable = False


def _injects(target, keyword, cache):
    """Is target a generator function that declares `keyword` with a
    default?  Raises asyncoro's Exception for anything but a generator
    function.  Cached per code object (for plain functions) in `cache`."""
    if not inspect.isgeneratorfunction(target):
        raise Exception("%r is not a generator!" % (target,))
    known = _declares_coro(target, keyword)
    if type(target) is _FunctionType:
        cache[target.__code__] = known
    return known


class HotSwapException(Exception):
    """Raised in a hot-swappable coroutine by hot_swap(): args[0] is the
    new generator.  Re-raise it to accept the swap."""


class MonitorException(Exception):
    """The message a monitor receives when the coroutine it watches ends:
    args are (coro, info), info as Coro.monitor describes."""


# ---- AsyncSocket -------------------------------------------------------------------------

class AsyncSocket(_Socket):
    """AsyncSocket(sock, blocking=False): a standard socket made
    non-blocking.  accept, connect, create_connection, recv, recvall, send,
    sendall, recvfrom, sendto (and recv_msg/send_msg) are to be yielded;
    every other public attribute of the wrapped socket's class is the
    wrapped socket's own, called without yield (fileno, makefile, ...).

    blocking=True (or setblocking(True)) makes the same calls synchronous,
    for threads: they complete or raise, under settimeout's timeout (see
    _blocking.py).  setblocking(False) switches back.

    asyncoro takes those through __getattr__; here they are properties made
    for each wrapped class (see _delegating), because a class with a
    __getattr__ puts every attribute lookup, conn.recv included, on CPython's
    slow path: it cost 1,100 instructions per echo request.

    With certfile (and keyfile) or pycos's ssl_context it speaks TLS: see
    idiokit.ssl._AsyncoroTLS."""

    def __new__(cls, sock=None, blocking=False, keyfile=None, certfile=None,
                ssl_version=None, ssl_context=None):
        if cls is AsyncSocket and sock is not None and type(sock) is not _stdsocket.socket:
            cls = _delegating(type(sock))
        if certfile is not None or ssl_context is not None:     # TLS: see idiokit.ssl
            from .. import ssl
            cls = ssl.asyncoro_tls_class(cls)
        return _Socket.__new__(cls)

    def __init__(self, sock, blocking=False, keyfile=None, certfile=None,
                 ssl_version=None, ssl_context=None):
        _Socket.__init__(self, _sock=sock)
        self._user_sock = sock
        if certfile is not None or ssl_context is not None:
            self._tls_init(keyfile, certfile, ssl_version, ssl_context)
        if AsyncSocket._default_timeout is not None:
            self.settimeout(AsyncSocket._default_timeout)
        if blocking:
            self.setblocking(True)

    _default_timeout = None

    @classmethod
    def setdefaulttimeout(cls, timeout):
        """The timeout AsyncSockets made from now on start with (None: no
        timeout).  Unlike socket.setdefaulttimeout, plain sockets keep theirs."""
        if timeout is not None and not (isinstance(timeout, (int, float)) and timeout >= 0):
            raise ValueError("timeout must be a non-negative number or None")
        AsyncSocket._default_timeout = timeout

    @classmethod
    def getdefaulttimeout(cls):
        """The timeout new AsyncSockets start with (see setdefaulttimeout)."""
        return AsyncSocket._default_timeout

    def setblocking(self, blocking):
        """True: synchronous calls, for threads; False: calls to yield."""
        cls = type(self)
        if getattr(cls, "_async_class", None) is not None:
            cls = cls._async_class
        self.__class__ = _blocking_class(cls) if blocking else cls

    @property
    def _fileno(self):
        """asyncoro's own attribute, read by its example programs."""
        return self.fileno()

    def getblocking(self):
        """True in synchronous mode (see setblocking)."""
        return getattr(type(self), "_async_class", None) is not None

    def create_connection(self, host_port, timeout=None, source_address=None):
        """`yield sock.create_connection((host, port), timeout, source_address)`."""
        if timeout is not None:
            self.settimeout(timeout)
        if source_address is not None:
            self._sock.bind(source_address)
        return self.connect(host_port)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    @classmethod
    def _from_raw(cls, sock, family, type, proto):
        self = _Socket._from_raw.__func__(cls, sock, family, type, proto)
        self._user_sock = sock
        return self

    def recvall(self, bufsize, timeout=None):
        """`data = yield sock.recvall(n, timeout=None)`: exactly n bytes (a
        bytearray on Python 3), or what arrived before end of input.  The
        timeout (default: the socket's) restarts whenever bytes arrive; when
        it passes, the bytes that arrived, or socket.timeout if none did."""
        _check_thread(self)
        return _recvall(self, bufsize, self.timeout if timeout is None else timeout)

    def recv_msg(self):
        """`msg = yield sock.recv_msg()`: one message framed by a 4-byte
        big-endian length; b'' at end of input."""
        _check_thread(self)
        return _recv_msg(self)

    def send_msg(self, data):
        """`yield sock.send_msg(data)`: data framed by its 4-byte length."""
        _check_thread(self)
        return self.sendall(_blocking._HEADER.pack(len(data)) + bytes(data))

    def close(self):
        """Close the socket at once (not a stream): waiters get an error."""
        _core.IoSocket.close(self)

    def unwrap(self):
        """The socket this AsyncSocket was made from."""
        return self._user_sock

    # the plain socket's synchronous calls, as asyncoro has them
    def bind(self, address):
        """The wrapped socket's bind, called at once."""
        return self._sock.bind(address)

    def listen(self, backlog=_stdsocket.SOMAXCONN):
        """listen(backlog=SOMAXCONN): the wrapped socket's listen, called at once."""
        return self._sock.listen(backlog)

    def setsockopt(self, *args):
        """The wrapped socket's setsockopt, called at once."""
        return self._sock.setsockopt(*args)

    def getsockopt(self, *args):
        """The wrapped socket's getsockopt, called at once."""
        return self._sock.getsockopt(*args)

    def getsockname(self):
        """The wrapped socket's getsockname, called at once."""
        return self._sock.getsockname()

    def getpeername(self):
        """The wrapped socket's getpeername, called at once."""
        return self._sock.getpeername()

    def shutdown(self, how):
        """The wrapped socket's shutdown, called at once."""
        return self._sock.shutdown(how)


AsynCoroSocket = AsyncSocket


def _delegate(name):
    def get(self):
        return getattr(self._sock, name)
    get.__name__ = name
    return property(get, doc="The wrapped socket's %s." % name)


def _add_delegates(cls, wrapped_type):
    for name in dir(wrapped_type):
        if not name.startswith("_") and not hasattr(cls, name):
            setattr(cls, name, _delegate(name))


_delegating_classes = {}


def _delegating(wrapped_type):
    """The AsyncSocket subclass for wrapped sockets of a class other than
    socket.socket (a subclass with methods of its own)."""
    cls = _delegating_classes.get(wrapped_type)
    if cls is None:
        cls = type(AsyncSocket)("AsyncSocket", (AsyncSocket,), {"__module__": __name__})
        _add_delegates(cls, wrapped_type)
        _delegating_classes[wrapped_type] = cls
    return cls


_add_delegates(AsyncSocket, _stdsocket.socket)


def _check_thread(sock):
    """A yielded call made from a thread other than the scheduler's would
    start an operation nobody waits for: refuse it instead of losing data."""
    sched = AsynCoro._instance
    if sched is not None and _get_ident() != sched._ident and sched._thread.is_alive():
        raise RuntimeError("AsyncSocket calls outside coroutines need "
                           "AsyncSocket(sock, blocking=True)")


_blocking_classes = {}


def _blocking_class(cls):
    """The synchronous-mode twin of an AsyncSocket class (same layout, so
    setblocking() can switch an object's class)."""
    twin = _blocking_classes.get(cls)
    if twin is None:
        twin = type(cls)("AsyncSocket", (_blocking.SyncMethods, cls),
                         {"__module__": __name__, "_async_class": cls})
        _blocking_classes[cls] = twin
    return twin


def _recvall(sock, bufsize, timeout):
    data = bytearray()
    while len(data) < bufsize:
        try:
            chunk = yield sock.recv(bufsize - len(data), 0, timeout)
        except (SocketTimeout, _stdsocket.timeout):
            if not data:
                raise
            break
        if not chunk:
            break
        data += chunk
    if _PY2:
        data = bytes(data)
    raise StopIteration(data)


def _recv_msg(sock):
    import struct
    head = yield _recvall(sock, 4, sock.timeout)
    if len(head) < 4:
        raise StopIteration(b"")
    size = struct.unpack(">L", bytes(head))[0]
    data = yield _recvall(sock, size, sock.timeout)
    raise StopIteration(bytes(data) if len(data) == size else b"")


class Singleton(type):
    """Metaclass: every call of a class made with it returns its first
    instance (asyncoro's and pycos's helper; dispy uses it)."""
    _memo = {}
    _memo_lock = threading.RLock()

    def __call__(cls, *args, **kwargs):
        with Singleton._memo_lock:
            if cls not in Singleton._memo:
                Singleton._memo[cls] = type.__call__(cls, *args, **kwargs)
            return Singleton._memo[cls]

    @classmethod
    def empty(mcs, cls):
        """Forget cls's instance."""
        Singleton._memo.pop(cls, None)


MetaSingleton = Singleton


def serialize(obj):
    """pickle.dumps(obj) at the highest protocol, as asyncoro's."""
    return pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)


def deserialize(data):
    """pickle.loads(data): the inverse of serialize()."""
    return pickle.loads(data)


unserialize = deserialize
