# tests/support/refleak.py: the `--refleak=WARMUPS:RUNS` mode of the suite
# (make test-refcount), in the manner of CPython's `regrtest -R`.
#
# Each test is run WARMUPS + RUNS times in a row, its function and module
# fixtures (the leak guard included) set up and torn down each time, then
# once more to report, torn down towards the next test as usual.  After each of the RUNS counted runs the process's
# total reference count (sys.gettotalrefcount(), debug CPython only) and its
# open fd count are taken after a full collection; a test fails when every
# counted run grew one of them (all deltas >= 1, CPython's rule: a cache that
# fills once or a one-off allocation grows one run, not all of them).  The
# failure names the deltas per run.
from __future__ import absolute_import

import gc
import os
import re
import shutil
import sys
import tempfile
import threading
import time

import pytest

OPTION = "--refleak"


def add_option(parser):
    parser.addoption(
        OPTION, default=None, metavar="WARMUPS:RUNS",
        help="run each test WARMUPS+RUNS+1 times and fail it when every one of "
             "the RUNS counted runs grew sys.gettotalrefcount() or the fd count "
             "(needs a debug CPython, e.g. python3.11-dbg)")


def parse(value):
    """(warmups, runs) from "W:R"; a clear error for anything else."""
    try:
        warmups, runs = [int(part) for part in value.split(":")]
    except ValueError:
        raise pytest.UsageError("%s wants WARMUPS:RUNS, got %r" % (OPTION, value))
    if warmups < 0 or runs < 1:
        raise pytest.UsageError("%s: WARMUPS >= 0 and RUNS >= 1, got %r" % (OPTION, value))
    return warmups, runs


def configure(config):
    value = config.getoption(OPTION)
    if value is None:
        return
    if not hasattr(sys, "gettotalrefcount"):
        raise pytest.UsageError(
            "%s needs a debug build of CPython (sys.gettotalrefcount), e.g. "
            "/usr/bin/python3.11-dbg; %s is not one" % (OPTION, sys.executable))
    from support import guards
    guards.FREEZE = False
    config.pluginmanager.register(RefleakRunner(*parse(value)), "idiokit-refleak")


class _ThreadStarts(object):
    """Counts threading.Thread.start calls while the mode is on.  CPython
    3.11.2's debug build keeps one reference per thread ever started
    (seen with a bare Thread(target=int).start(); join()), so each run is
    allowed that much per thread it started (pytest-timeout's own timer
    thread included); the cost is measured once at start-up."""

    def __init__(self):
        self.count = 0
        self.cost = 0
        self._start = threading.Thread.start
        starts = self

        def start(thread):
            starts.count += 1
            return starts._start(thread)
        threading.Thread.start = start

    def calibrate(self, rounds=20):
        def one():
            thread = threading.Thread(target=int, args=("1",))
            thread.start()
            thread.join()
        for _ in range(5):
            one()
        collect()
        before = sys.gettotalrefcount()
        for _ in range(rounds):
            one()
        collect()
        self.cost = max(0, (sys.gettotalrefcount() - before) // rounds)


def clear_stdlib_caches():
    """Empty the standard library's bounded caches before a sample, as
    CPython's regrtest -R does: urllib's urlsplit cache keeps an entry per
    distinct URL (each run's server has a new port), up to its bound."""
    try:
        from urllib import parse as urlparse_module
    except ImportError:  # Python 2
        import urlparse as urlparse_module
    urlparse_module.clear_cache()
    re.purge()


def forget_report_sections(item):
    """pytest appends each run's captured output and log ("Captured stderr
    call") to the item; only the last run's belong in its report, and the
    earlier ones would count as growth (a child process's stderr, a log
    record pytest's handler saw)."""
    sections = getattr(item, "_report_sections", None)
    if sections is not None:
        del sections[:]


def collect():
    clear_stdlib_caches()
    for _ in range(3):
        if gc.collect() == 0:
            break


def wait_until(done, seconds=10.0):
    """Poll done() until it is true or `seconds` have passed."""
    deadline = time.time() + seconds
    while not done() and time.time() < deadline:
        time.sleep(0.01)


def settle_threads(count):
    """Wait (bounded) until no more threads run than before the test: an
    idle pool worker holds its pool until it retires, which is not a leak."""
    wait_until(lambda: threading.active_count() <= count)


def retire_pool_workers():
    """Wait (bounded) until the idle workers of idiokit's thread pools have
    retired (their idle_time).  The baseline is taken without them: a worker
    left idle by the previous test would otherwise take a job in one run and
    retire in another, and the per-thread bookkeeping of _ThreadStarts would
    count a start in a different run than the thread's end (seen in CI as
    [1, 1, 1] on a loaded machine)."""
    wait_until(lambda: not any(
        thread.name == "idiokit-worker" for thread in threading.enumerate()))


def deltas(samples):
    return [after - before for before, after in zip(samples, samples[1:])]


def growing(deltas):
    """True when every counted run grew the measure (CPython's rule)."""
    return bool(deltas) and all(delta >= 1 for delta in deltas)


class _Parents(object):
    """Stands for "the next test" between two runs of the same test: one in
    another module of the same session.  So each run sets up and tears down
    the test's function, class and module fixtures, and keeps the session's
    (a function fixture that depends on a module fixture leaves a finalizer
    on it per run until that fixture's teardown: pytest's bookkeeping, not
    a leak; so module fixtures go each run)."""

    def __init__(self, item):
        chain = item.listchain()
        modules = [i for i, node in enumerate(chain) if isinstance(node, pytest.Module)]
        self._chain = chain[:modules[0]] if modules else chain[:-1]

    def listchain(self):
        return list(self._chain)


class RefleakRunner(object):
    def __init__(self, warmups, runs):
        self.warmups = warmups
        self.runs = runs
        self.threads = _ThreadStarts()
        self.threads.calibrate()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        from _pytest.runner import runtestprotocol
        ihook = item.ihook
        ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        # Preallocated: storing a sample replaces a shared 0, so the
        # bookkeeping itself adds no reference between two samples.
        refs = [0] * (self.runs + 1)
        fds = [0] * (self.runs + 1)
        retire_pool_workers()
        threads = threading.active_count()
        if self.warmups == 0:
            collect()
            refs[0] = sys.gettotalrefcount() - self.threads.cost * self.threads.count
            fds[0] = len(os.listdir("/proc/self/fd"))
        reports = None
        between = _Parents(item)
        for index in range(self.warmups + self.runs):
            forget_report_sections(item)
            reports = runtestprotocol(item, log=False, nextitem=between)
            if any(rep.failed or rep.skipped for rep in reports):
                # Tear down as far as the next test needs; report this run.
                runtestprotocol(item, log=False, nextitem=nextitem)
                break
            slot = index - self.warmups + 1
            if slot >= 0:
                settle_threads(threads)
                collect()
                refs[slot] = sys.gettotalrefcount() - self.threads.cost * self.threads.count
                fds[slot] = len(os.listdir("/proc/self/fd"))
        else:
            forget_report_sections(item)
            reports = runtestprotocol(item, log=False, nextitem=nextitem)
            self._judge(reports, deltas(refs), deltas(fds))
        for rep in reports:
            ihook.pytest_runtest_logreport(report=rep)
        if hasattr(ihook, "pytest_runtest_logfinish"):
            ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True

    @pytest.fixture
    def tmp_path(self):
        """pytest's tmp_path depends on the session's tmp_path_factory (so
        leaves a finalizer there per run); this one stands alone."""
        import pathlib
        path = tempfile.mkdtemp(prefix="idiokit-refleak-")
        try:
            yield pathlib.Path(path)
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def _judge(self, reports, refs, fds):
        problems = []
        if growing(refs):
            problems.append("references grew in every counted run: %r" % (refs,))
        if growing(fds):
            problems.append("open fds grew in every counted run: %r" % (fds,))
        if not problems:
            return
        for rep in reports:
            if rep.when == "call" and rep.passed:
                rep.outcome = "failed"
                rep.longrepr = "refleak (%d warm-ups, %d runs): %s" % (
                    self.warmups, self.runs, "; ".join(problems))
