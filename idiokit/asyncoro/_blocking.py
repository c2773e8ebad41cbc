"""AsyncSocket's synchronous mode (`AsyncSocket(sock, blocking=True)` or
`setblocking(True)`): calls made from threads, without yield, that complete
or raise.

The descriptor stays non-blocking: the same socket may also be used by a
coroutine on the scheduler thread (asyncoro's chat client does exactly
this), and O_NONBLOCK belongs to the open file, shared by both.  So each
call tries its syscall, and on EAGAIN waits for readiness with poll(2) in
the calling thread, under the socket's timeout (settimeout; None waits for
ever), raising socket.timeout when it passes.  sendall and send_msg send
every byte or raise: nothing is dropped.
"""
from __future__ import absolute_import

import errno
import select
import socket
import struct
import sys
import time

_PY2 = sys.version_info[0] < 3
_AGAIN = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR, errno.ENOBUFS)
_monotonic = getattr(time, "monotonic", time.time)
_HEADER = struct.Struct(">L")


def _deadline(timeout):
    return None if timeout is None else _monotonic() + timeout


def wait_fd(fd, write, deadline):
    """Wait in this thread until fd is ready to read (or write); raise
    socket.timeout at the monotonic `deadline` (None: never)."""
    poller = select.poll()
    poller.register(fd, select.POLLOUT if write else select.POLLIN)
    while True:
        if deadline is None:
            wait = None
        else:
            wait = int(max(0.0, deadline - _monotonic()) * 1000)
        try:
            if poller.poll(wait):
                return
        except (select.error, OSError) as error:
            if error.args[0] != errno.EINTR:
                raise
            continue
        if deadline is not None and _monotonic() >= deadline:
            raise socket.timeout("timed out")


def call(raw, write, func, args, deadline):
    """func(*args) on the non-blocking raw socket, retried on readiness."""
    while True:
        try:
            return func(*args)
        except (socket.error, OSError) as error:
            if getattr(error, "errno", None) not in _AGAIN:
                raise
        wait_fd(raw.fileno(), write, deadline)


def sendall(raw, data, timeout):
    view = memoryview(data)
    deadline = _deadline(timeout)
    while len(view):
        sent = call(raw, True, raw.send, (view,), deadline)
        view = view[sent:]


def recvall(raw, size, timeout):
    """Exactly size bytes, or what arrived before end of input."""
    data = bytearray()
    deadline = _deadline(timeout)
    while len(data) < size:
        chunk = call(raw, False, raw.recv, (size - len(data),), deadline)
        if not chunk:
            break
        data += chunk
    return bytes(data) if _PY2 else data


def recv_msg(raw, timeout):
    head = recvall(raw, _HEADER.size, timeout)
    if len(head) < _HEADER.size:
        return b""
    size = _HEADER.unpack(bytes(head))[0]
    data = recvall(raw, size, timeout)
    return bytes(data) if len(data) == size else b""


def connect(raw, address, timeout):
    deadline = _deadline(timeout)
    code = raw.connect_ex(address)
    if code in (errno.EINPROGRESS, errno.EALREADY) or code in _AGAIN:
        wait_fd(raw.fileno(), True, deadline)
        code = raw.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if code not in (0, errno.EISCONN):
        raise socket.error(code, _strerror(code))


def _strerror(code):
    import os
    return os.strerror(code)


class SyncMethods(object):
    """The methods a blocking AsyncSocket has instead of the yielded ones
    (mixed into a subclass made for each AsyncSocket class)."""

    def recv(self, bufsize, *flags):
        return call(self._sock, False, self._sock.recv, (bufsize,) + flags,
                    _deadline(self.timeout))

    def send(self, data, *flags):
        return call(self._sock, True, self._sock.send, (data,) + flags,
                    _deadline(self.timeout))

    def recvfrom(self, bufsize, *flags):
        return call(self._sock, False, self._sock.recvfrom, (bufsize,) + flags,
                    _deadline(self.timeout))

    def sendto(self, data, *args):
        return call(self._sock, True, self._sock.sendto, (data,) + args,
                    _deadline(self.timeout))

    def sendall(self, data, *flags):
        sendall(self._sock, data, self.timeout)

    def recvall(self, bufsize, timeout=None):
        return recvall(self._sock, bufsize, self.timeout if timeout is None else timeout)

    def send_msg(self, data):
        sendall(self._sock, _HEADER.pack(len(data)) + bytes(data), self.timeout)

    def recv_msg(self):
        return recv_msg(self._sock, self.timeout)

    def accept(self):
        """(a blocking stdlib socket, address), as asyncoro's blocking mode."""
        conn, address = call(self._sock, False, self._sock.accept, (), _deadline(self.timeout))
        conn.setblocking(True)
        return conn, address

    def connect(self, address):
        connect(self._sock, address, self.timeout)
        return 0
