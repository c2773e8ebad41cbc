"""tests/fuzz/common.py: what the atheris targets share: making the
checkout's idiokit importable, the loop runner, and the no-leak check
(live counters and the fd count back to their baseline every so often)."""
from __future__ import absolute_import

import gc
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
for _path in (os.path.dirname(HERE), ROOT):
    if _path not in sys.path:
        sys.path.insert(0, _path)

COUNTERS = ("streams", "tasks", "watchers", "msgs", "timers")


def run(stream):
    import idiokit
    return idiokit.main_loop(stream, catch_signals=())


def fd_count():
    return len(os.listdir("/proc/self/fd"))


def live():
    import idiokit._core
    gc.collect()
    stats = idiokit._core._debug_stats()
    return tuple(stats[key] for key in COUNTERS)


class LeakCheck(object):
    """Every `every` inputs: the fd count and the live counters must be
    back where they were after the first inputs once the loop has run a
    moment (a growth is raised as a crash, so libFuzzer keeps the input)."""

    def __init__(self, every=200):
        self.every = every
        self.count = 0
        self.baseline = None

    def __call__(self):
        self.count += 1
        if self.count == 20:
            self.baseline = (fd_count(), live())
        elif self.baseline is not None and self.count % self.every == 0:
            now = self.settled()
            if self.grown(now):
                raise AssertionError("leak: (fds, %s) was %r, now %r" % (
                    "/".join(COUNTERS), self.baseline, now))

    def grown(self, now):
        return now[0] > self.baseline[0] or any(
            after > before for before, after in zip(self.baseline[1], now[1]))

    def settled(self, seconds=2.0):
        """Run the loop (up to `seconds`) while something is still alive: a
        stream an input made and left armed (sleep(0.01) passed to a call
        that rejected its other argument) finishes on its own."""
        import idiokit
        deadline = time.time() + seconds
        now = (fd_count(), live())
        while self.grown(now) and time.time() < deadline:
            run(idiokit.sleep(0.05))
            now = (fd_count(), live())
        return now
