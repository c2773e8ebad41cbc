# tests/support/guards.py: the measurements behind the autouse guards of
# conftest.py: live-object counters, open fds, "idiokit" log records, and the
# fallback timeout.
from __future__ import absolute_import

import gc
import os
import sys
import time
import logging
import traceback

COUNTERS = ("streams", "tasks", "watchers", "msgs", "timers")
SETTLE_SECONDS = 5.0
# warm_up() freezes what exists (gc.freeze); the --refleak mode turns that
# off, as frozen objects that become garbage are never collected and would
# read as a leak.
FREEZE = True


def fd_count():
    return len(os.listdir("/proc/self/fd"))


def counters():
    import idiokit._core
    stats = idiokit._core._debug_stats()
    return dict((key, stats[key]) for key in COUNTERS)


def collect():
    """Collect until a pass finds nothing unreachable (at most three: freeing
    one cycle can make another garbage); a pass that finds nothing changes
    nothing, so the next would find nothing either."""
    for _ in range(3):
        if gc.collect() == 0:
            break


def snapshot():
    collect()
    result = counters()
    result["fds"] = fd_count()
    return result


def _run_loop_briefly():
    import idiokit
    idiokit.main_loop(idiokit.sleep(0.02), catch_signals=())


def leaked(before, after):
    """The keys whose value grew: something the test made is still alive.
    (A value that shrank means something made before the test, such as an
    idle thread-pool worker, finished meanwhile; that is not a leak.)"""
    return sorted(key for key in before if after[key] > before[key])


def settle(before):
    """Return a snapshot with nothing leaked as soon as one is seen, else the
    last one after SETTLE_SECONDS. While something is leaked the loop is run for a
    moment so that work a test started but the loop has not finished yet
    (callbacks queued after main_loop returned, an idle thread pool retiring)
    can finish; anything still alive after that is a leak."""
    after = snapshot()
    deadline = time.time() + SETTLE_SECONDS
    while leaked(before, after) and time.time() < deadline:
        _run_loop_briefly()
        after = snapshot()
    return after


def warm_up():
    import idiokit

    @idiokit.stream
    def _warm():
        yield idiokit.sleep(0)
        yield idiokit.thread(int, "1")
    idiokit.main_loop(_warm())
    collect()
    # What exists now (pytest, the imported test modules) lives for the whole
    # session: keep it out of the collections every test's guard makes, so
    # each collection traverses only what the tests made (the guard's six
    # full collections per test were most of the suite's time). Python 3.7+.
    if hasattr(gc, "freeze") and FREEZE:
        gc.freeze()


class LogCapture(logging.Handler):
    """Collects records of level WARNING and above from the "idiokit" logger
    and its children. With exclusive=True, records at those levels logged on
    "idiokit" or any existing logger under it ("idiokit.http.server") are
    kept from every other handler, so nothing else holds on to them: a
    logger filter on each (a filter sees only its own logger's records, and
    pytest attaches its handlers even to loggers that do not propagate)."""

    def __init__(self, exclusive=False):
        logging.Handler.__init__(self, logging.WARNING)
        self.records = []
        self._logger = logging.getLogger("idiokit")
        self._old_level = None
        self._swallow = _Swallow(self.records) if exclusive else None

    def emit(self, record):
        self.records.append(record)

    def install(self):
        self._old_level = self._logger.level
        if self._logger.getEffectiveLevel() > logging.WARNING:
            self._logger.setLevel(logging.WARNING)
        self._logger.addHandler(self)
        if self._swallow is not None:
            for logger in _tree(self._logger):
                logger.addFilter(self._swallow)

    def uninstall(self):
        if self._swallow is not None:
            for logger in _tree(self._logger):
                logger.removeFilter(self._swallow)
        self._logger.removeHandler(self)
        self._logger.setLevel(self._old_level)

    def messages(self):
        result = []
        for record in self.records:
            text = "%s %s: %s" % (record.levelname, record.name, record.getMessage())
            if record.exc_info:
                text += "\n" + "".join(traceback.format_exception(*record.exc_info))
            result.append(text)
        return result

    def text(self):
        return "\n".join(self.messages())


def _tree(top):
    prefix = top.name + "."
    loggers = [top]
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if name.startswith(prefix) and isinstance(logger, logging.Logger):
            loggers.append(logger)
    return loggers


class _Swallow(logging.Filter):
    def __init__(self, records):
        logging.Filter.__init__(self)
        self._records = records

    def filter(self, record):
        if record.levelno < logging.WARNING:
            return True
        self._records.append(record)
        return False


def die_of_timeout(nodeid, seconds):
    lines = ["Timeout: %s ran longer than %s s" % (nodeid, seconds)]
    for thread_id, frame in sys._current_frames().items():
        lines.append("--- thread %s ---" % (thread_id,))
        lines.extend(traceback.format_stack(frame))
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()
    os._exit(1)
