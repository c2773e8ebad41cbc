"""idiokit.asyncoro.asyncfile: asyncoro's asyncfile (AsyncFile, AsyncPipe,
Popen) on idiokit.process.

AsyncFile makes a pipe, tty or socket descriptor non-blocking; its read,
write and readline are streams, so `data = yield afile.read(1024)` works in
a Coro (and in an idiokit stream).  A timeout raises IOError('timedout'),
or gives the partial data (count) when some was read (written) with
full=True, as asyncoro documents.  Regular files are always "ready", so
nothing about them is asynchronous, as in asyncoro.

AsyncPipe wraps a subprocess.Popen (or a chain of them: writes go to the
first's stdin, reads come from the last's stdout and stderr).  Popen is
subprocess.Popen whose piped stdin/stdout/stderr are AsyncFiles (asyncoro
has it on Windows only), with `yield p.async_wait(timeout)` for the exit
status, watched as idiokit.process watches exits (no SIGCHLD).

Differences from asyncoro, each deliberate: write() on Python 3 also takes
text (encoded as UTF-8: asyncoro's pipe_grep example writes lines read from
a text file, which asyncoro itself rejects); communicate() feeds stdin while
it reads stdout and stderr, so a child that writes much before reading all
of its input cannot deadlock it.
"""
from __future__ import absolute_import

import os
import subprocess
import sys

from ..idiokit import stream, stop
from .. import process as _process
from .._childwatch import pidfd_open, wait_exit

__all__ = ["AsyncFile", "AsyncPipe", "Popen"]

_PY2 = sys.version_info[0] < 3
_CHUNK = 16384


class _Borrowed(object):
    """An int fd given to AsyncFile: its owner closes it, not we."""

    def __init__(self, fd):
        self._fd = fd

    def fileno(self):
        return self._fd

    def close(self):
        pass


def _timedout():
    return IOError("timedout")


class AsyncFile(object):
    """AsyncFile(fd): fd is a file object (closed by close()) or an int
    descriptor (left open)."""

    def __init__(self, fd):
        if isinstance(fd, AsyncFile):
            fd = fd._pipe._fileobj
        if hasattr(fd, "fileno"):
            owner = fd
        elif isinstance(fd, int):
            owner = _Borrowed(fd)
        else:
            raise ValueError("invalid file descriptor")
        self._pipe = _process.Pipe(owner)

    def fileno(self):
        """The descriptor; -1 once closed."""
        return self._pipe.fd

    def read(self, size=0, full=False, timeout=None):
        """`data = yield f.read(size=0, full=False, timeout=None)`: up to
        size bytes (everything up to end of input when size <= 0; exactly
        size with full=True, unless end of input or timeout come first);
        b'' at end of input."""
        return _read(self._pipe, size, full, timeout)

    def write(self, buf, full=False, timeout=None):
        """`n = yield f.write(buf, full=False, timeout=None)`: the count
        written by one write, or all of buf with full=True."""
        if not _PY2 and isinstance(buf, str):
            buf = buf.encode("utf-8")
        return _write(self._pipe, buf, full, timeout)

    def readline(self, size=0, sizehint=100, timeout=None):
        """`line = yield f.readline()`: up to and with b'\\n' (at most size
        bytes when size > 0); b'' at end of input."""
        return _readline(self._pipe, size if size and size > 0 else None, timeout)

    def close(self):
        """Close the file object given (an int descriptor is left open)."""
        self._pipe.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


@stream
def _read(pipe, size, full, timeout):
    deadline = _Deadline(timeout)
    if size is None or size <= 0:
        size, full = None, True
    chunks, count = [], 0
    while size is None or count < size:
        want = _CHUNK * 4 if size is None else size - count
        try:
            chunk = yield pipe.read(want, deadline.left())
        except _process.Timeout:
            if chunks and full:
                break
            raise _timedout()
        if not chunk:
            break
        chunks.append(chunk)
        count += len(chunk)
        if not full:
            break
    stop(b"".join(chunks))


@stream
def _write(pipe, buf, full, timeout):
    deadline = _Deadline(timeout)
    view = memoryview(buf)
    written = 0
    while len(view):
        try:
            sent = yield pipe.write(view, deadline.left())
        except _process.Timeout:
            if written:
                break
            raise _timedout()
        written += sent
        view = view[sent:]
        if not full:
            break
    stop(written)


@stream
def _readline(pipe, limit, timeout):
    try:
        line = yield pipe.readline(limit, timeout)
    except _process.Timeout:
        raise _timedout()
    stop(line)


class _Deadline(object):
    """The time left of one operation's timeout (None: no timeout)."""

    def __init__(self, timeout):
        import time
        self._clock = getattr(time, "monotonic", time.time)
        self._end = None if timeout is None else self._clock() + timeout

    def left(self):
        if self._end is None:
            return None
        return max(0.0, self._end - self._clock())


class AsyncPipe(object):
    """AsyncPipe(first, last=None): first and last are Popen objects of a
    chain (last defaults to first); other attributes are last's."""

    def __init__(self, first, last=None):
        if last is None:
            last = first
        for proc in (first, last):
            if not isinstance(proc, subprocess.Popen):
                raise ValueError("argument must be subprocess.Popen object")
        self.first, self.last = first, last
        self.stdin = _async(first.stdin)
        self.stdout = _async(last.stdout)
        self.stderr = _async(last.stderr)

    def __getattr__(self, name):
        proc = self.__dict__.get("last") or self.__dict__.get("first")
        if proc is None:
            raise RuntimeError("AsyncPipe is invalid")
        return getattr(proc, name)

    def write(self, buf, full=False, timeout=None):
        """`n = yield pipe.write(buf, full=False, timeout=None)`: write to first's stdin."""
        return self.stdin.write(buf, full=full, timeout=timeout)

    def read(self, size=0, timeout=None):
        """`data = yield pipe.read(size=0, timeout=None)`: read last's stdout."""
        return self.stdout.read(size=size, timeout=timeout)

    def readline(self, size=0, sizehint=100, timeout=None):
        """`line = yield pipe.readline()`: a line of last's stdout."""
        return self.stdout.readline(size=size, sizehint=sizehint, timeout=timeout)

    def read_stderr(self, size=0, timeout=None):
        """`data = yield pipe.read_stderr(size=0, timeout=None)`: read last's stderr."""
        return self.stderr.read(size=size, timeout=timeout)

    def readline_stderr(self, size=0, sizehint=100, timeout=None):
        """`line = yield pipe.readline_stderr()`: a line of last's stderr."""
        return self.stderr.readline(size=size, sizehint=sizehint, timeout=timeout)

    def communicate(self, input=None):
        """`out, err = yield pipe.communicate(input)`: input is bytes, text,
        or a file object (read in 16 KiB chunks); stdin is closed after it.
        None stands for an output that is not piped."""
        return _communicate(self, input)

    def poll(self):
        """last's (else first's) poll(): its exit status, or None while it runs."""
        proc = self.last or self.first
        return proc.poll() if proc is not None else None

    def close(self):
        """Forget the processes (their files stay open)."""
        self.first = self.last = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _async(fileobj):
    if fileobj is None or isinstance(fileobj, AsyncFile):
        return fileobj
    return AsyncFile(fileobj)


@stream
def _communicate(apipe, input):
    readers = [_read_all(f) if f is not None else None for f in (apipe.stdout, apipe.stderr)]
    if apipe.stdin is not None:
        if input is not None:
            yield _feed(apipe.stdin, input)
        apipe.stdin.close()
    outputs = []
    for reader in readers:
        outputs.append((yield reader) if reader is not None else None)
    stop(*outputs)


@stream
def _read_all(afile):
    data = yield afile.read()
    afile.close()
    stop(data)


@stream
def _feed(afile, input):
    if isinstance(input, (bytes, bytearray, type(u""))):
        yield afile.write(input, full=True)
        return
    while True:
        if hasattr(input, "seek") and hasattr(input, "fileno"):
            data = os.read(input.fileno(), _CHUNK)
        else:
            data = input.read(_CHUNK)
            if not isinstance(data, (bytes, str, type(u""))):
                data = yield data        # an AsyncFile's read
        if not data:
            break
        yield afile.write(data, full=True)
    input.close()


class Popen(subprocess.Popen):
    """subprocess.Popen whose piped stdin, stdout and stderr are AsyncFiles;
    close() closes them, terminate() closes them and sends SIGTERM."""

    def __init__(self, args, stdin=None, stdout=None, stderr=None, **kwargs):
        subprocess.Popen.__init__(self, args, stdin=stdin, stdout=stdout, stderr=stderr,
                                  **kwargs)
        self.stdin, self.stdout, self.stderr = [_async(f) for f in
                                                (self.stdin, self.stdout, self.stderr)]

    def async_wait(self, timeout=None):
        """`status = yield p.async_wait(timeout=None)`: the exit status once
        the process has exited (IOError('timedout') after timeout)."""
        return _async_wait(self, timeout)

    def close(self):
        """Close the piped stdin, stdout and stderr."""
        for name in ("stdin", "stdout", "stderr"):
            afile = getattr(self, name)
            if afile is not None:
                afile.close()

    def terminate(self):
        """close(), then SIGTERM if the process has not been reaped."""
        self.close()
        if self.returncode is None:
            subprocess.Popen.terminate(self)


@stream
def _async_wait(popen, timeout):
    from .. import _core
    pidfd = pidfd_open(popen.pid) if popen.returncode is None else None
    try:
        waiting = wait_exit(popen, pidfd)
        if timeout is not None:
            waiting = _core.timeout(timeout, waiting, _timedout())
        status = yield waiting
    finally:
        if pidfd is not None:
            os.close(pidfd)
    stop(status)
