"""The stream API: decorating generator and async def functions, pipes,
map/consume, stop, Signal and main_loop, over idiokit._core."""
from __future__ import absolute_import

import functools
import inspect
import logging
import signal
import sys
import threading

from . import _core

Stream = _core.Stream
Event = _core.Event
Proxy = _core.Proxy
BrokenPipe = _core.BrokenPipe
EndOfInput = _core.EndOfInput
next = _core.Next    # the class, as in the original: isinstance(x, idiokit.next)
send = _core.send
pipe = _core.pipe

_core.set_logger(logging.getLogger("idiokit"))

_iscoroutinefunction = getattr(inspect, "iscoroutinefunction", lambda func: False)


def stream(func):
    """Decorate a generator function (or an async def function) as a stream
    function: calling it starts the stream at once and returns it."""
    if inspect.isgeneratorfunction(func) or _iscoroutinefunction(func):
        # A C callable: no Python frame of ours per call.  It binds like a
        # function on classes and carries func's __name__, __doc__ etc.
        return functools.update_wrapper(_core.stream_function(func), func)
    raise TypeError("{0!r} is not a generator function".format(func))


def map(func, *args, **keys):
    """A stream that calls func(item, *args, **keys) for each input item and
    sends each element of the result (None sends nothing)."""
    return _core.map(func, *args, **keys)


def consume():
    """A stream that swallows its input and ends with the upstream's result."""
    return _core.map(None)


def stop(*args):
    """End the current generator stream with the result args."""
    raise StopIteration(*args)


def _signal_names():
    names = {}
    for name in dir(signal):
        if name.startswith("SIG") and not name.startswith("SIG_"):
            value = getattr(signal, name)
            try:
                names.setdefault(int(value), name)
            except (TypeError, ValueError):
                pass
    return names


class Signal(Exception):
    """A caught signal, thrown into the main stream by main_loop."""

    _signames = _signal_names()

    def __init__(self, signum):
        Exception.__init__(self, signum)

    @property
    def signum(self):
        """The signal's number (signal.SIGINT etc.)."""
        return self.args[0]

    def __str__(self):
        signum = self.signum
        result = "caught signal " + repr(signum)
        if signum in self._signames:
            result += " (" + self._signames[signum] + ")"
        return result


def _peel(args):
    if not args:
        return None
    if len(args) == 1:
        return args[0]
    return args


def _install_signals(main, catch_signals):
    previous = []
    if not catch_signals:
        return previous, None

    def handle_signal(signum, _frame):
        main.throw(Signal(signum))

    try:
        for signum in set(catch_signals):
            old = signal.getsignal(signum)
            signal.signal(signum, handle_signal)
            previous.append((signum, old))
    except BaseException:
        _restore_signals(previous, None)
        raise
    old_fd = None
    if isinstance(threading.current_thread(), threading._MainThread):
        old_fd = signal.set_wakeup_fd(_core.wakeup_fd())
    return previous, old_fd


def _restore_signals(previous, old_fd):
    for signum, handler in previous:
        signal.signal(signum, handler)
    if old_fd is not None:
        signal.set_wakeup_fd(old_fd)


#: The signals main_loop turns into Signal by default.
DEFAULT_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2)


def main_loop(main, catch_signals=DEFAULT_SIGNALS):
    """Run the loop until `main` ends; return its (peeled) result or raise its
    exception.  The listed signals become Signal thrown into `main`; the
    previous handlers are restored afterwards."""
    if not isinstance(main, Stream):
        raise TypeError("expected a stream, got {0!r}".format(main))
    previous, old_fd = _install_signals(main, catch_signals)
    try:
        _core.run(main)
    finally:
        _restore_signals(previous, old_fd)
    state, value = main._outcome()
    if state == 1:
        return _peel(value)
    _core.reraise(value)
