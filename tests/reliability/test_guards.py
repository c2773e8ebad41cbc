# tests/reliability/test_guards.py: the suite's own guards catch what they promise to.
# A tiny test file is run by pytest in a child process (with this
# conftest.py), and the child's verdict is checked: a stream left armed on a
# timer fails the leak guard, naming the "timers" counter; a warning is an
# error (pytest.ini's filterwarnings); an xfail that passes is a failure.
from __future__ import absolute_import

import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap

import pytest

from support.procs import child_env, TESTS_DIR, ROOT_DIR as ROOT


def run_pytest_on(source, *args):
    """Run `source` as a test file next to a copy of this suite's conftest.py
    and pytest.ini; returns (exit code, output)."""
    work = tempfile.mkdtemp(prefix="idiokit-guards-")
    try:
        shutil.copy(os.path.join(ROOT, "pytest.ini"), work)
        os.mkdir(os.path.join(work, "tests"))
        shutil.copy(os.path.join(TESTS_DIR, "conftest.py"), os.path.join(work, "tests"))
        with open(os.path.join(work, "tests", "test_probe.py"), "w") as f:
            f.write(textwrap.dedent(source))
        env = child_env({"IDIOKIT_TEST_IMPL": ROOT})
        proc = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"] + list(args),
            cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = proc.communicate()[0].decode("utf-8", "replace")
        return proc.returncode, out
    finally:
        shutil.rmtree(work)


@pytest.mark.timeout(120)
def test_a_stream_left_on_a_timer_fails_the_leak_guard_on_the_timers_counter():
    rc, out = run_pytest_on("""
        import idiokit
        from support import guards
        guards.SETTLE_SECONDS = 0.5
        kept = []

        def test_leaves_a_timer_armed():
            @idiokit.stream
            def main():
                kept.append(idiokit.sleep(30))
                yield idiokit.sleep(0)
            idiokit.main_loop(main(), catch_signals=())
    """)
    assert rc == 1, out
    leaked = re.search(r"leak of ([a-z, ]+):", out)
    assert leaked, out
    assert "timers" in leaked.group(1).split(", "), out


@pytest.mark.timeout(120)
def test_a_warning_fails_the_test_and_a_passing_xfail_fails_the_run():
    rc, out = run_pytest_on("""
        import warnings
        import pytest

        def test_warns():
            warnings.warn("something odd", RuntimeWarning)

        @pytest.mark.xfail(reason="claims a bug that is not there")
        def test_passes_anyway():
            pass
    """)
    assert rc == 1, out
    assert "2 failed" in out, out


@pytest.mark.timeout(120)
def test_refleak_mode_fails_a_test_that_grows_references_and_passes_one_that_does_not():
    rc, out = run_pytest_on("""
        kept = []

        def test_keeps_a_list_per_run():
            kept.append([object()])

        def test_keeps_nothing():
            scratch = [object() for _ in range(100)]
            del scratch
    """, "--refleak=2:3")
    if not hasattr(sys, "gettotalrefcount"):
        # Not a debug CPython: the mode refuses to run rather than pass.
        assert rc != 0, out
        assert "needs a debug build of CPython" in out, out
        return
    assert rc == 1, out
    assert "1 failed, 1 passed" in out, out
    assert re.search(r"test_keeps_a_list_per_run - refleak", out) or \
        "references grew in every counted run" in out, out
