"""idiokit.process: subprocesses as streams.

    proc = process.Process(["sort"])          # stdin, stdout, stderr piped
    yield proc.write(b"b\\na\\n")
    proc.close_stdin()
    line = yield proc.readline()              # b"a\\n"
    status = yield proc.wait()

or in one go: `status, out, err = yield process.run(["sort"], input=data)`,
or line by line: `process.lines(["tail", "-f", path]) | consumer()`.

The pipes are the core's I/O model: non-blocking fds whose read or write is
tried when the stream asks, and only EAGAIN waits for readiness on the loop.
The exit is watched without SIGCHLD (see _childwatch.py), so other users of
subprocess in the process are unaffected.  Every wait takes a timeout and
raises idiokit.timer.Timeout when it passes.

Ownership: communicate(), run() and lines() own their process: when their
stream fails, times out or is cancelled (an exception thrown into it), the
process is killed and reaped and its pipes closed -- no zombie, no leaked fd.
read, write and wait only stop waiting.  A Process no stream owns is killed
when close() is called, and reaped in the background.
"""
from __future__ import absolute_import

import errno
import fcntl
import os
import signal
import subprocess

from . import _core
from ._childwatch import pidfd_open, wait_exit
from .idiokit import stream, stop, send
from .timer import Timeout

#: stdin=, stdout=, stderr=: a pipe to the process (a Pipe attribute).
PIPE = subprocess.PIPE
#: stderr=: into the same pipe as stdout.
STDOUT = subprocess.STDOUT
#: stdin=, stdout=, stderr=: /dev/null (on Python 2.7 too).
DEVNULL = getattr(subprocess, "DEVNULL", -3)
CHUNK = 65536
_AGAIN = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR)

__all__ = ["Process", "Pipe", "run", "lines", "Timeout", "PIPE", "STDOUT", "DEVNULL"]


class Pipe(object):
    """One non-blocking end of a pipe (or any fd).  `fileobj` (a file object
    or an int fd) keeps owning the descriptor; close() closes it."""

    def __init__(self, fileobj):
        self._fileobj = fileobj
        self.fd = fileobj if isinstance(fileobj, int) else fileobj.fileno()
        flags = fcntl.fcntl(self.fd, fcntl.F_GETFL)
        fcntl.fcntl(self.fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        self._buffer = b""     # read ahead by readline

    @property
    def closed(self):
        """True once close() has run."""
        return self.fd < 0

    def close(self):
        """Close the descriptor (through its file object if it has one); idempotent."""
        if self.fd >= 0:
            self.fd = -1
            if isinstance(self._fileobj, int):
                os.close(self._fileobj)
            else:
                self._fileobj.close()

    def fileno(self):
        """The descriptor; -1 once closed."""
        return self.fd

    def read(self, size=CHUNK, timeout=None):
        """A stream giving up to `size` bytes, b"" at end of input."""
        if self._buffer:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
            return _done(data)
        return _io(self, False, os.read, size, timeout)

    def write(self, data, timeout=None):
        """A stream giving how many bytes of data one write took."""
        return _io(self, True, os.write, memoryview(data), timeout)

    def write_all(self, data, timeout=None):
        """A stream that writes every byte of data (the timeout restarts
        whenever some bytes go)."""
        return _write_all(self, data, timeout)

    def readline(self, limit=None, timeout=None):
        """A stream giving one line with its b"\\n" (or at most `limit`
        bytes, or the rest before end of input; b"" at end of input)."""
        return _readline(self, limit, timeout)


@stream
def _io(pipe, write, syscall, arg, timeout):
    while True:
        if pipe.fd < 0:
            raise OSError(errno.EBADF, "pipe is closed")
        try:
            stop(syscall(pipe.fd, arg))
        except OSError as error:
            if error.errno not in _AGAIN:
                raise
        fds = ([], [pipe.fd]) if write else ([pipe.fd], [])
        ready = yield _core.select(fds[0], fds[1], [], timeout)
        if not any(ready):
            raise Timeout("pipe timed out after %s s" % (timeout,))


@stream
def _write_all(pipe, data, timeout):
    view = memoryview(data)
    while len(view):
        sent = yield _io(pipe, True, os.write, view, timeout)
        view = view[sent:]


@stream
def _readline(pipe, limit, timeout):
    data = pipe._buffer
    pipe._buffer = b""
    while True:
        end = data.find(b"\n") + 1
        if limit is not None and (end == 0 or end > limit) and len(data) >= limit:
            end = limit
        if end > 0:
            pipe._buffer = data[end:]
            stop(data[:end])
        chunk = yield _io(pipe, False, os.read, CHUNK, timeout)
        if not chunk:
            stop(data)
        data += chunk


def _done(value):
    event = _core.Event()
    event.succeed(value)
    return event


class Process(object):
    """Process(args, stdin=PIPE, stdout=PIPE, stderr=PIPE, **popen_args):
    start args (as subprocess.Popen, which it uses to fork and exec).
    .stdin, .stdout, .stderr are Pipes (None when not piped), .pid, and
    .returncode once it has been waited for."""

    def __init__(self, args, stdin=PIPE, stdout=PIPE, stderr=PIPE, **popen_args):
        popen_args.setdefault("close_fds", True)
        stdin, stdout, stderr = [_devnull(arg) for arg in (stdin, stdout, stderr)]
        self._popen = subprocess.Popen(args, stdin=stdin, stdout=stdout, stderr=stderr,
                                       **popen_args)
        self.pid = self._popen.pid
        self.args = args
        self.stdin, self.stdout, self.stderr = [
            Pipe(f) if f is not None else None
            for f in (self._popen.stdin, self._popen.stdout, self._popen.stderr)]
        self._exit = None       # the stream that watches the exit, made on first need

    def __repr__(self):
        return "<idiokit.process.Process pid=%d returncode=%r>" % (self.pid, self.returncode)

    @property
    def returncode(self):
        """The exit status (-N: killed by signal N), None while running."""
        return self._popen.returncode

    def poll(self):
        """The exit status if the process has exited (reaping it), else None; never waits."""
        return self._popen.poll()

    # ---- talking to it ------------------------------------------------------------

    def write(self, data, timeout=None):
        """A stream that writes all of data to the process's stdin."""
        return _need(self.stdin, "stdin").write_all(data, timeout)

    def close_stdin(self):
        """Close the process's stdin (it reads end of input), if piped."""
        if self.stdin is not None:
            self.stdin.close()

    def read(self, size=CHUNK, timeout=None):
        """A stream giving up to size bytes of stdout, b"" at its end."""
        return _need(self.stdout, "stdout").read(size, timeout)

    def read_stderr(self, size=CHUNK, timeout=None):
        """A stream giving up to size bytes of stderr, b"" at its end."""
        return _need(self.stderr, "stderr").read(size, timeout)

    def readline(self, timeout=None):
        """A stream giving the next line of stdout (b"" at its end)."""
        return _need(self.stdout, "stdout").readline(None, timeout)

    def readline_stderr(self, timeout=None):
        """A stream giving the next line of stderr (b"" at its end)."""
        return _need(self.stderr, "stderr").readline(None, timeout)

    def communicate(self, input=None, timeout=None):
        """A stream giving (stdout bytes, stderr bytes) (None for a stream not
        piped) once the process has exited: input goes to stdin, then stdin
        is closed, while both outputs are read, so no full pipe stalls it.
        On timeout or cancel the process is killed and reaped."""
        return _owned(self, _communicate(self, input), timeout)

    # ---- its life -------------------------------------------------------------------

    def wait(self, timeout=None):
        """A stream giving the exit status once the process has exited (and
        been reaped); Timeout after `timeout` seconds, the process left
        running."""
        if self._exit is None:
            self._exit = _exit_then_close(self)
        if timeout is None:
            return _follow(self._exit)
        return _wait_timeout(self._exit, timeout)

    def send_signal(self, signum):
        """Send signal `signum` to the process, unless it has been reaped."""
        if self._popen.returncode is None:
            try:
                os.kill(self.pid, signum)
            except OSError as error:
                if error.errno != errno.ESRCH:
                    raise

    def terminate(self):
        """Send SIGTERM."""
        self.send_signal(signal.SIGTERM)

    def kill(self):
        """Send SIGKILL."""
        self.send_signal(signal.SIGKILL)

    def close(self):
        """Kill the process if it still runs, close every pipe, and reap it
        in the background (on the loop)."""
        for pipe in (self.stdin, self.stdout, self.stderr):
            if pipe is not None:
                pipe.close()
        if self._popen.poll() is None:
            self.kill()
        if self._exit is None:
            self._exit = _exit_then_close(self)


def _devnull(arg):
    """Python 2's Popen has no DEVNULL: an fd of /dev/null of our own (the
    child gets its copy; ours is closed by the garbage collector)."""
    if arg == DEVNULL and not hasattr(subprocess, "DEVNULL"):
        return open(os.devnull, "r+b")
    return arg


def _need(pipe, name):
    if pipe is None:
        raise ValueError("the process's %s is not a pipe" % name)
    return pipe


@stream
def _exit_then_close(proc):
    # The pidfd is opened here, not at the start: a Process nobody waits for
    # holds no descriptor of ours.  Only our own poll() reaps the child, so
    # it still exists (perhaps as a zombie) when the pidfd is opened.
    pidfd = pidfd_open(proc.pid) if proc._popen.poll() is None else None
    try:
        status = yield wait_exit(proc._popen, pidfd)
    finally:
        if pidfd is not None:
            os.close(pidfd)
    stop(status)


@stream
def _follow(exit_stream):
    status = yield exit_stream.fork()
    stop(status)


@stream
def _wait_timeout(exit_stream, timeout):
    waiting = _follow(exit_stream)
    timer = _core.timeout(timeout, waiting, Timeout("process still running after %s s" % timeout))
    status = yield timer
    stop(status)


class _Abandoned(Exception):
    """Thrown into a helper stream whose owner has failed."""


@stream
def _communicate(proc, input):
    readers = [(pipe, _read_all(pipe)) for pipe in (proc.stdout, proc.stderr)
               if pipe is not None]
    try:
        if proc.stdin is not None:
            if input:
                try:
                    yield proc.stdin.write_all(input)
                except OSError as error:
                    if error.errno != errno.EPIPE:     # it exited without reading it all
                        raise
            proc.stdin.close()
        outputs = {}
        for pipe, reader in readers:
            outputs[pipe] = yield reader
        yield proc.wait()
    except BaseException:
        for _, reader in readers:
            reader.throw(_Abandoned())
        raise
    stop(*[outputs.get(pipe) if pipe is not None else None
           for pipe in (proc.stdout, proc.stderr)])


@stream
def _read_all(pipe):
    chunks = []
    try:
        while True:
            chunk = yield pipe.read(CHUNK)
            if not chunk:
                break
            chunks.append(chunk)
    except _Abandoned:
        return
    pipe.close()
    stop(b"".join(chunks))


@stream
def _owned(proc, work, timeout):
    """Run work (a stream about proc); if it fails, times out or is
    cancelled, kill proc, close its pipes and reap it."""
    try:
        if timeout is not None:
            work = _core.timeout(timeout, work, Timeout("process timed out after %s s" % timeout))
        result = yield work
    except BaseException:
        proc.close()
        raise
    stop(result)


def run(args, input=None, timeout=None, **popen_args):
    """A stream giving (returncode, stdout, stderr) of args run to its end
    with `input` on its stdin (stdin is /dev/null without input)."""
    if input is None and "stdin" not in popen_args:
        popen_args["stdin"] = DEVNULL
    return _run(Process(args, **popen_args), input, timeout)


@stream
def _run(proc, input, timeout):
    out, err = yield proc.communicate(input, timeout)
    stop(proc.returncode, out, err)


def lines(args, timeout=None, **popen_args):
    """A stream that sends each line of args's stdout (bytes, with the
    newline), and ends with its exit status.  `timeout` bounds the wait for
    each line.  Cancelled, it kills and reaps the process.  Its stderr is
    the caller's unless popen_args say otherwise (a pipe nobody reads could
    fill and stall it)."""
    popen_args.setdefault("stdin", DEVNULL)
    popen_args.setdefault("stderr", None)
    proc = Process(args, **popen_args)
    return _owned(proc, _lines(proc, timeout), None)


@stream
def _lines(proc, timeout):
    while True:
        line = yield proc.readline(timeout)
        if not line:
            break
        yield send(line)
    proc.stdout.close()
    status = yield proc.wait()
    proc.close()            # any other pipe popen_args asked for
    stop(status)
