# tests/core/test_process.py: idiokit.process with real child processes -- large
# outputs both ways, a child that exits early, one that ignores SIGTERM,
# cancellation killing and reaping, 200 concurrent children, timeouts, and
# subprocess.Popen users elsewhere in the process left unaffected.
from __future__ import absolute_import

import errno
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import idiokit
from idiokit import process

from support.util import run

PY = sys.executable


def open_fds():
    return sorted(os.listdir("/proc/self/fd"))


def no_children_left():
    try:
        return os.waitpid(-1, os.WNOHANG) == (0, 0) and False
    except OSError as error:
        return error.errno == errno.ECHILD


@pytest.fixture
def fds():
    run(idiokit.sleep(0))               # the loop's own fds exist from here on
    before = open_fds()
    yield
    after = open_fds()
    assert after == before
    assert no_children_left()


def test_large_input_and_output_both_ways(fds):
    data = os.urandom(1 << 20) * 12                      # 12 MiB, more than any pipe holds
    status, out, err = run(process.run(["cat"], input=data))
    assert (status, err) == (0, b"")
    assert hashlib.sha1(out).digest() == hashlib.sha1(data).digest()

    # the same through write/read streams running side by side
    @idiokit.stream
    def writer(proc):
        yield proc.write(data)
        proc.close_stdin()

    @idiokit.stream
    def main():
        proc = process.Process(["cat"], stderr=None)
        feeding = writer(proc)
        chunks = []
        while True:
            chunk = yield proc.read()
            if not chunk:
                break
            chunks.append(chunk)
        yield feeding
        proc.stdout.close()
        status = yield proc.wait()
        idiokit.stop(status, b"".join(chunks))
    status, out = run(main())
    assert status == 0 and out == data


def test_stderr_is_read_alongside_stdout(fds):
    script = "import sys; sys.stderr.write('e' * 300000); sys.stdout.write('o' * 300000)"
    status, out, err = run(process.run([PY, "-c", script]))
    assert (status, len(out), len(err)) == (0, 300000, 300000)


def test_a_child_that_exits_early(fds):
    status, out, err = run(process.run(["head", "-c", "10"], input=b"y" * (8 << 20)))
    assert (status, out) == (0, b"y" * 10)

    @idiokit.stream
    def main():
        proc = process.Process(["sh", "-c", "exit 7"], stdout=None, stderr=None)
        status = yield proc.wait()
        try:
            yield proc.write(b"z" * (1 << 20))
        except OSError as error:
            got = error.errno
        proc.close()
        idiokit.stop(status, got)
    assert run(main()) == (7, errno.EPIPE)


def test_a_child_that_ignores_sigterm(fds):
    script = "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); " \
             "print('ready'); sys.stdout.flush(); time.sleep(30)"

    @idiokit.stream
    def main():
        proc = process.Process([PY, "-c", script], stdin=None)
        assert (yield proc.readline(timeout=20)) == b"ready\n"
        proc.terminate()
        try:
            yield proc.wait(timeout=0.3)
        except process.Timeout:
            still = proc.returncode is None
        proc.kill()
        status = yield proc.wait(timeout=10)
        proc.close()
        idiokit.stop(still, status)
    assert run(main()) == (True, -signal.SIGKILL)


def test_communicate_timeout_kills_and_reaps(fds):
    proc = process.Process(["sleep", "30"], stdin=None)
    start = time.time()
    with pytest.raises(process.Timeout):
        run(proc.communicate(timeout=0.2))
    assert time.time() - start < 10
    assert run(proc.wait(timeout=10)) == -signal.SIGKILL


def test_a_cancelled_lines_stream_kills_and_reaps_its_process(fds):
    @idiokit.stream
    def take(count):
        for _ in range(count):
            line = yield idiokit.next()
            assert line == b"y\n"
        raise ValueError("enough")

    @idiokit.stream
    def main():
        lines = process.lines(["yes"])
        try:
            yield lines | take(1000)
        except ValueError:
            pass
        yield idiokit.sleep(0.01)
    run(main())
    # the killed child is reaped in the background: give it a few turns
    deadline = time.time() + 10
    while not no_children_left() and time.time() < deadline:
        run(idiokit.sleep(0.01))
    assert no_children_left()


def test_lines_sends_each_line_and_ends_with_the_status(fds):
    got = []

    @idiokit.stream
    def collect():
        while True:
            try:
                got.append((yield idiokit.next()))
            except StopIteration as end:
                idiokit.stop(*end.args)
    status = run(process.lines(["printf", "a\\nb\\nc"]) | collect())
    assert (status, got) == (0, [b"a\n", b"b\n", b"c"])


def test_read_timeout_raises_and_leaves_the_process(fds):
    @idiokit.stream
    def main():
        proc = process.Process(["sleep", "30"], stdin=None, stderr=None)
        try:
            yield proc.read(timeout=0.05)
        except process.Timeout:
            running = proc.returncode is None and proc.poll() is None
        proc.close()
        status = yield proc.wait()
        idiokit.stop(running, status)
    assert run(main()) == (True, -signal.SIGKILL)


def test_two_hundred_concurrent_children(fds):
    @idiokit.stream
    def one(i):
        status, out, err = yield process.run(
            ["sh", "-c", "read x; echo $x; exit $(( $x % 7 ))"], input=b"%d\n" % i)
        idiokit.stop(i, status, out)

    @idiokit.stream
    def main():
        streams = [one(i) for i in range(200)]
        results = []
        for s in streams:
            results.append((yield s))
        idiokit.stop(results)
    results = run(main())
    assert results == [(i, i % 7, b"%d\n" % i) for i in range(200)]


def test_popen_users_elsewhere_keep_their_exit_status(fds):
    results = []

    def other_user():
        for code in (3, 5, 9):
            results.append(subprocess.call(["sh", "-c", "sleep 0.05; exit %d" % code]))

    @idiokit.stream
    def main():
        thread = threading.Thread(target=other_user)
        thread.start()
        for _ in range(5):
            status, _, _ = yield process.run(["sh", "-c", "sleep 0.03; exit 1"])
            assert status == 1
        while thread.is_alive():
            yield idiokit.sleep(0.01)
    run(main())
    assert results == [3, 5, 9]


def test_bad_arguments_raise_without_leaking(fds):
    with pytest.raises(OSError):
        process.Process(["/nonexistent/program"])
    with pytest.raises((ValueError, IndexError, TypeError)):
        process.Process([])
    proc = process.Process(["true"], stdout=None, stderr=None, stdin=None)
    with pytest.raises(ValueError):
        proc.read()
    run(proc.wait())


def test_without_pidfds_the_exit_is_polled(fds, monkeypatch):
    monkeypatch.setattr(process, "pidfd_open", lambda pid: None)
    status, out, err = run(process.run(["sh", "-c", "echo hi; exit 4"]))
    assert (status, out) == (4, b"hi\n")
