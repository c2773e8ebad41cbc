"""idiokit.socket: non-blocking sockets whose I/O methods are streams.

Every I/O method returns a stream to yield.  The waiting ones (accept,
connect, recv, recv_into, recvfrom, send, sendall, sendto) try their syscall
at once and wait for readiness only when it would block, under a per-call
`timeout=` or the socket's default (settimeout; None waits forever).  The
rest (bind, listen, getsockname, getpeername, getsockopt, setsockopt,
shutdown, close) take one loop turn and then make the stdlib call.

Errors are SocketError (an IOError) with (errno, strerror) args, or its
subclasses SocketTimeout, SocketGAIError and SocketHError.  The operations
themselves, and the exception classes, live in C (idiokit._core.IoSocket,
src/sock*.c).  Timeouts: None waits forever, a negative number is 0 (try
once), NaN is a ValueError and a non-number a TypeError, everywhere.
"""
from __future__ import absolute_import

import errno
import os
from operator import index as _index
import sys
import socket as _stdsocket
import _socket
from contextlib import contextmanager

from . import _core
from .idiokit import stream, stop

_PY2 = sys.version_info[0] < 3


# The exception classes are the C core's (src/sockerr.c), which raises them
# without calling back into this module.
SocketError = _core.SocketError
SocketTimeout = _core.SocketTimeout
SocketGAIError = _core.SocketGAIError
SocketHError = _core.SocketHError


@contextmanager
def _wrapped():
    try:
        yield
    except (_socket.error, _socket.gaierror, _socket.herror, _socket.timeout) as error:
        converted = _core._socket_error(error)
        if converted is error:
            raise
        raise converted


for _name in dir(_stdsocket):
    if _name.isupper() and not _name.startswith("_") and not _name.startswith("SSL_"):
        globals()[_name] = getattr(_stdsocket, _name)
del _name

_DEFAULT = object()


def _check_data(data):
    if _PY2 and isinstance(data, buffer):  # noqa: F821 (Python 2 only)
        return bytes(data)
    if isinstance(data, (bytes, bytearray, memoryview)):
        return data
    raise TypeError("data must be bytes or a buffer, not %s" % type(data).__name__)


def _raw_from_fd(fd, family, type, proto):
    """A stdlib _socket object owning fd (which the caller gives up)."""
    if _PY2:
        try:
            sock = _socket.fromfd(fd, family, type, proto)
        finally:
            os.close(fd)
        return sock
    return _socket.socket(family, type, proto, fd)


_IO = _core.IoSocket


class _Closed(object):
    """The stdlib socket of a Socket whose __init__ never ran: every use
    raises SocketError(EBADF)."""
    __slots__ = ()

    def __getattr__(self, name):
        raise SocketError(errno.EBADF, "socket is closed")


_CLOSED = _Closed()


class Socket(_IO):
    """Socket(family=AF_INET, type=SOCK_STREAM, proto=0): a non-blocking
    socket.  `_sock` wraps an existing stdlib socket (which keeps owning
    the fd; close() closes it).

    recv, recv_into, send and sendall are IoSocket's C methods themselves
    (no Python frame on the per-call path): recv(bufsize, flags=0,
    timeout=<the socket's default>), recv_into(buffer, nbytes=0, flags=0,
    timeout), send(data, flags=0, timeout), sendall(data, flags=0, timeout).
    fileno() is -1 once closed."""

    __slots__ = ("_sock", "_family", "_type", "_proto", "_wrap", "__weakref__")

    def __init__(self, family=_stdsocket.AF_INET, type=_stdsocket.SOCK_STREAM,
                 proto=0, _sock=None):
        if _sock is None:
            with _wrapped():
                _sock = _socket.socket(family, type, proto)
        else:
            family, type, proto = _sock.family, _sock.type, _sock.proto
        with _wrapped():
            _sock.setblocking(False)
        self._init(_sock, family, type, proto)

    def _init(self, sock, family, type, proto):
        self._sock = sock
        self._attach(sock, sock.fileno())
        self._family = family
        self._type = type & ~(getattr(_stdsocket, "SOCK_NONBLOCK", 0) |
                              getattr(_stdsocket, "SOCK_CLOEXEC", 0))
        self._proto = proto
        self._wrap = None

    @classmethod
    def _from_raw(cls, sock, family, type, proto):
        self = _IO.__new__(cls)     # _init sets every slot
        self._init(sock, family, type, proto)
        return self

    # A subclass whose __init__ skips ours still gets these defaults from
    # __new__: a closed socket for the Python methods too, as for the C ones.
    # (No __getattr__ here: one would put every attribute lookup, conn.recv
    # included, on CPython's slow path.)
    def __new__(cls, *args, **kwargs):
        self = _IO.__new__(cls)
        self._sock = _CLOSED
        self._family = self._type = self._proto = self._wrap = None
        return self

    def _initialised(self, value):
        if self._sock is _CLOSED:
            raise SocketError(errno.EBADF, "socket is closed")
        return value

    family = property(lambda self: self._initialised(self._family),
                      doc="The address family (AF_INET ...).")
    type = property(lambda self: self._initialised(self._type),
                    doc="The socket type (SOCK_STREAM ...).")
    proto = property(lambda self: self._initialised(self._proto), doc="The protocol number.")

    def __repr__(self):
        if self._sock is _CLOSED:
            return "<idiokit.socket.Socket closed, uninitialised>"
        return "<idiokit.socket.Socket fd=%d family=%r type=%r>" % (
            self.fileno(), self._family, self._type)

    def gettimeout(self):
        """The default timeout of the waiting operations (None: wait forever)."""
        return self.timeout

    def _t(self, timeout):
        return self.timeout if timeout is _DEFAULT else timeout

    # ---- waiting operations (C leaf streams) ----------------------------------

    if _PY2:  # Python 2's buffer objects need converting first
        def send(self, data, flags=0, timeout=_DEFAULT):
            return _IO.send(self, _check_data(data), flags, self._t(timeout))

        def sendall(self, data, flags=0, timeout=_DEFAULT):
            return _IO.sendall(self, _check_data(data), flags, self._t(timeout))

    def recvfrom(self, bufsize, flags=0, timeout=_DEFAULT):
        """recvfrom(bufsize, flags=0, timeout=<default>): a stream giving (bytes, address)."""
        bufsize = _index(bufsize)
        if bufsize < 0:
            raise ValueError("negative buffersize in recvfrom")
        return self.call(0, self._sock.recvfrom, (bufsize, flags), self._t(timeout))

    def sendto(self, data, flags_or_address, address=_DEFAULT, timeout=_DEFAULT):
        """sendto(data, [flags,] address, timeout=<default>): a stream giving
        the byte count sent."""
        data = _check_data(data)
        if address is _DEFAULT:
            args = (data, flags_or_address)
        else:
            args = (data, flags_or_address, address)
        return self.call(1, self._sock.sendto, args, self._t(timeout))

    def accept(self, timeout=_DEFAULT):
        """A stream giving (Socket, address); the new socket's timeout is None."""
        if self._wrap is None:
            family, type, proto, cls = self._family, self._type, self._proto, _type_of(self)

            def wrap(fd, address):
                return cls._from_raw(_raw_from_fd(fd, family, type, proto),
                                     family, type, proto), address
            self._wrap = wrap
        return _IO.accept(self, self._wrap, self._t(timeout))

    def connect(self, address, timeout=_DEFAULT):
        """A stream that connects to `address` (SocketTimeout after `timeout`
        seconds, default: the socket's) and ends with None."""
        return _IO.connect(self, self._sock.connect_ex, (address,), self._t(timeout))

    # ---- one loop turn, then the stdlib call -------------------------------------

    @stream
    def _later(self, name, *args):
        yield _core.sleep(0)
        if self.closed:
            raise SocketError(errno.EBADF, "socket is closed")
        with _wrapped():
            result = getattr(self._sock, name)(*args)
        stop(result)

    def bind(self, address):
        """A stream that binds the socket to `address` after one loop turn."""
        return self._later("bind", address)

    def listen(self, backlog=_stdsocket.SOMAXCONN):
        """listen(backlog=SOMAXCONN): a stream that starts listening."""
        return self._later("listen", backlog)

    def getsockname(self):
        """A stream giving the socket's own address."""
        return self._later("getsockname")

    def getpeername(self):
        """A stream giving the connected peer's address."""
        return self._later("getpeername")

    def getsockopt(self, *args):
        """getsockopt(level, option[, buflen]): a stream giving the option's value."""
        return self._later("getsockopt", *args)

    def setsockopt(self, *args):
        """setsockopt(level, option, value): a stream that sets the option."""
        return self._later("setsockopt", *args)

    def shutdown(self, how):
        """A stream that shuts down one or both directions (SHUT_RD, SHUT_WR, SHUT_RDWR)."""
        return self._later("shutdown", how)

    def close(self):
        """A stream that closes the socket after one loop turn; waiters get
        SocketError(EBADF).  The fd is closed even if the stream is interrupted."""
        return self._closing()

    # The socket is closed even when a throw() into the closing stream
    # interrupts its turn (the exception still goes on): a cancelled close
    # leaves no fd open.
    @stream
    def _closing(self):
        try:
            yield _core.sleep(0)
        finally:
            self._close_now()

    def _close_now(self):
        _IO.close(self)


_type_of = type


def fromfd(fd, family, type, proto=0):
    """A Socket on a duplicate of fd (the caller keeps owning fd)."""
    try:
        dup = os.dup(fd)
    except OSError as error:    # on Python 2 an OSError is no socket.error
        raise SocketError(error.errno, error.strerror)
    return Socket._from_raw(_raw_from_fd(dup, family, type, proto), family, type, proto)


def socketpair(family=getattr(_stdsocket, "AF_UNIX", None), type=_stdsocket.SOCK_STREAM, proto=0):
    """socketpair(family=AF_UNIX, type=SOCK_STREAM, proto=0): two connected Sockets."""
    with _wrapped():
        a, b = _socket.socketpair(family, type, proto)
        a.setblocking(False)
        b.setblocking(False)
    return Socket._from_raw(a, family, type, proto), Socket._from_raw(b, family, type, proto)
