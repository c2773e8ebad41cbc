# tests/conftest.py: what every test in tests/ runs under.  The tests are
# arranged by layer (core/, net/, tls/, dns/, http/, protocols/, asyncoro/,
# reliability/, packaging/); their shared helpers are the package support/,
# importable from every layer as `support` (tests/ is put on sys.path here).
#
# Owns: making the in-place build importable, keeping libasan out of the
# non-Python programs the tests start (support/asan_children.py), skipping Python-3-only files on
# Python 2, a per-test timeout, and the autouse guards that fail a test which
# leaves live idiokit objects (idiokit._core._debug_stats() counters) or open
# file descriptors behind (and, with --refleak, grows the reference count when
# repeated: support/refleak.py), or which makes the "idiokit" logger emit a record at
# WARNING or above without declaring it (the `expected_logs` fixture).
from __future__ import absolute_import

import os
import sys
import threading

import pytest

# IDIOKIT_TEST_IMPL may name another directory holding an `idiokit` package
# to run the same tests against (twin runs against a reference
# implementation); by default the checkout's in-place build is tested.
ROOT = os.environ.get("IDIOKIT_TEST_IMPL") or \
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.dirname(os.path.abspath(__file__))
for _path in (TESTS, ROOT):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from support import asan_children, guards, refleak  # noqa: E402

asan_children.install()

# Files holding Python-3-only syntax (async def, `return value` in generators).
collect_ignore = []
if sys.version_info[0] < 3:
    collect_ignore += [
        "core/test_async_def.py",
        "core/test_generator_return_py3.py",
        "core/test_group_async_py3.py",
        "dns/test_dns_async_py3.py",
    ]

DEFAULT_TIMEOUT = 60.0
from support.util import TIMEOUT_FACTOR  # noqa: E402 (slow runners scale every timeout)

try:
    import pytest_timeout  # noqa: F401
    HAVE_PYTEST_TIMEOUT = True
except ImportError:
    HAVE_PYTEST_TIMEOUT = False


def pytest_addoption(parser):
    refleak.add_option(parser)


def pytest_configure(config):
    refleak.configure(config)
    config.addinivalue_line(
        "markers",
        "no_leak_check(reason): skip the live-object and fd leak guard for "
        "this test (only where the test must leave something alive)")
    config.addinivalue_line(
        "markers", "timeout(seconds): per-test timeout (pytest-timeout)")
    config.addinivalue_line(
        "markers", "load: minutes of load (net/test_load.py); deselected unless "
        "IDIOKIT_LOAD=1 (make test-load)")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("IDIOKIT_LOAD") != "1":
        # Deselected, not skipped: they are run, once, by make test-load.
        load = [item for item in items if item.get_closest_marker("load") is not None]
        if load:
            config.hook.pytest_deselected(items=load)
            items[:] = [item for item in items if item.get_closest_marker("load") is None]
    if not HAVE_PYTEST_TIMEOUT:
        return
    for item in items:
        marker = item.get_closest_marker("timeout")
        if marker is None:
            item.add_marker(pytest.mark.timeout(DEFAULT_TIMEOUT * TIMEOUT_FACTOR, method="thread"))
        elif TIMEOUT_FACTOR != 1.0 and marker.args:
            item.add_marker(pytest.mark.timeout(marker.args[0] * TIMEOUT_FACTOR, method="thread"),
                            append=False)


@pytest.fixture(autouse=True)
def _fallback_timeout(request):
    """Without pytest-timeout, a watchdog thread that dumps every thread's
    stack and exits the process, so a hang fails instead of blocking CI."""
    if HAVE_PYTEST_TIMEOUT:
        yield
        return
    marker = request.node.get_closest_marker("timeout")
    seconds = (marker.args[0] if marker and marker.args else DEFAULT_TIMEOUT) * TIMEOUT_FACTOR
    timer = threading.Timer(seconds, guards.die_of_timeout, (request.node.nodeid, seconds))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


@pytest.fixture(scope="session", autouse=True)
def _warm_up():
    """Create the loop's own lazily made resources (loop fds, thread pool)
    before the first baseline is taken."""
    guards.warm_up()
    yield


@pytest.fixture
def expected_logs():
    """Declare that this test expects records on the "idiokit" logger at
    WARNING or above. Returns the capture; the test asserts on it. No other
    handler sees the records (pytest's report handlers would keep them, and
    the frames of their tracebacks, alive past the leak guard)."""
    capture = guards.LogCapture(exclusive=True)
    capture.install()
    try:
        yield capture
    finally:
        capture.uninstall()
        # A record's exc_info holds frames, and frames hold streams: drop
        # them before the leak guard counts.
        del capture.records[:]


@pytest.fixture(autouse=True)
def _leak_and_log_guard(request):
    if "expected_logs" in request.fixturenames:
        log_capture = None
    else:
        log_capture = guards.LogCapture()
        log_capture.install()
    check_leaks = request.node.get_closest_marker("no_leak_check") is None
    before = guards.snapshot()
    try:
        yield
        after = guards.settle(before) if check_leaks else None
    finally:
        if log_capture is not None:
            log_capture.uninstall()
    if log_capture is not None and log_capture.records:
        pytest.fail("unexpected records on the 'idiokit' logger:\n" +
                    "\n".join(log_capture.messages()), pytrace=False)
    if check_leaks and guards.leaked(before, after):
        pytest.fail("leak of %s: before %r, after %r" % (
            ", ".join(guards.leaked(before, after)), before, after), pytrace=False)
