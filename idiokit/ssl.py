"""idiokit.ssl: TLS on idiokit sockets, done by the standard ssl module.

`wrap_socket` turns a connected idiokit socket into an `SSLSocket` after a
non-blocking handshake.  Every operation (handshake, recv, send, shutdown)
is the C socket layer's `call`: OpenSSL's own read or write runs in the turn
of the task that waits on it, and only OpenSSL's "want read" / "want write"
makes it wait for that readiness of the fd (whichever direction the
operation is), so a read that must write (or a write that must read) and
plaintext OpenSSL already holds need nothing of their own here.

Owns: building contexts for the original keyword form (cached), the
conversion of stdlib ssl errors into SSLError / SSLCertificateError, the
TLS socket's methods (shared with idiokit.asyncoro's TLS sockets through
`_TLSMethods`), and the original's helpers ca_certs, identities and
match_hostname (with wildcards allowed in the leftmost label only).
"""
from __future__ import absolute_import

import contextlib
import errno
import os
import _socket as _rawsocket
import socket as _stdsocket
import ssl as _ssl
import sys
import tempfile

from . import _core
from . import socket as _idksocket
from .idiokit import stream, stop
from .socket import SocketError, _DEFAULT, _check_data

_check_timeout = _core.parse_timeout   # the core's one reading of a timeout

__all__ = ["SSLError", "SSLCertificateError", "SSLSocket", "wrap_socket", "create_context",
           "harden", "ca_certs", "identities", "match_hostname", "PROTOCOL_SSLv23",
           "PROTOCOL_TLSv1"]

_PY2 = sys.version_info[0] < 3
_IO = _core.IoSocket


# The classes are the C core's (src/sockerr.c), which turns the stdlib's ssl
# errors into them on every path without calling back into this module:
# SSLError is a SocketError and an ssl.SSLError; SSLCertificateError is also
# the stdlib's CertificateError.
SSLError, SSLCertificateError = _core._ssl_errors()


PROTOCOL_SSLv23 = _ssl.PROTOCOL_SSLv23
PROTOCOL_TLSv1 = _ssl.PROTOCOL_TLSv1
for _name in ("PROTOCOL_TLS", "PROTOCOL_TLS_CLIENT", "PROTOCOL_TLS_SERVER",
              "PROTOCOL_TLSv1_1", "PROTOCOL_TLSv1_2"):
    if hasattr(_ssl, _name):
        globals()[_name] = getattr(_ssl, _name)
        __all__.append(_name)
del _name

# OpenSSL 3 reports a peer that closes without close_notify as an error
# unless told otherwise; renegotiation is refused (OpenSSL >= 1.1.0h).
_OPENSSL3 = _ssl.OPENSSL_VERSION_INFO >= (3,)
OP_IGNORE_UNEXPECTED_EOF = getattr(_ssl, "OP_IGNORE_UNEXPECTED_EOF", 0x80 if _OPENSSL3 else 0)
OP_NO_RENEGOTIATION = getattr(_ssl, "OP_NO_RENEGOTIATION",
                              0x40000000 if _ssl.OPENSSL_VERSION_INFO >= (1, 1, 0, 8) else 0)
_SAFE_OPTIONS = (_ssl.OP_NO_SSLv2 | _ssl.OP_NO_SSLv3 | getattr(_ssl, "OP_NO_COMPRESSION", 0) |
                 OP_NO_RENEGOTIATION | OP_IGNORE_UNEXPECTED_EOF)

# Python 3.7+ has OpenSSL check the host name during the handshake.
_OPENSSL_CHECKS_HOSTNAME = sys.version_info >= (3, 7)

# call()'s want_read, want_write: OpenSSL wants the fd readable / writable
_WANTS = (_ssl.SSLWantReadError, _ssl.SSLWantWriteError)
_RECORD = 16 * 1024     # a TLS record's plaintext at most
_call = _IO.call

# A handshake that no timeout= and no socket timeout bounds gets this one, so
# that a peer which connects and says nothing cannot hold a connection (and a
# server's fd) for ever; timeout=None asks for no limit.
HANDSHAKE_TIMEOUT = 60.0


def _handshake_timeout(timeout):
    return HANDSHAKE_TIMEOUT if timeout is None else timeout


# ---- errors ---------------------------------------------------------------------------------

def _convert(exc):
    """The idiokit.ssl exception for a stdlib ssl exception."""
    return _core._socket_error(exc)


@contextlib.contextmanager
def _converted():
    try:
        yield
    except (_ssl.SSLError, _ssl.CertificateError) as error:
        raise _convert(error)


# ---- contexts for the original keyword form ------------------------------------------------

def harden(context):
    """Add the options idiokit relies on to an ssl.SSLContext: no SSLv2/3,
    no compression, no renegotiation, and a peer closing without
    close_notify read as the end of data (OpenSSL 3).  Returns it."""
    context.options |= _SAFE_OPTIONS
    return context


def _protocol(ssl_version, server_side):
    if ssl_version == _ssl.PROTOCOL_SSLv23 and hasattr(_ssl, "PROTOCOL_TLS_CLIENT"):
        return _ssl.PROTOCOL_TLS_SERVER if server_side else _ssl.PROTOCOL_TLS_CLIENT
    return ssl_version


def create_context(keyfile=None, certfile=None, server_side=False,
                   ssl_version=PROTOCOL_SSLv23, require_cert=None, ca_certs=None):
    """The ssl.SSLContext wrap_socket builds from the original's keywords.
    require_cert=None means: clients verify the server (against ca_certs, or
    the system's CA store), servers ask for no client certificate."""
    if require_cert is None:
        require_cert = not server_side
    with _converted():
        context = _ssl.SSLContext(_protocol(ssl_version, server_side))
        harden(context)
        if not server_side:
            context.check_hostname = False
        context.verify_mode = _ssl.CERT_REQUIRED if require_cert else _ssl.CERT_NONE
        if certfile is not None or keyfile is not None:
            context.load_cert_chain(certfile or keyfile, keyfile)
        if require_cert:
            if ca_certs is not None:
                context.load_verify_locations(ca_certs)
            else:
                context.load_default_certs(_ssl.Purpose.CLIENT_AUTH if server_side
                                           else _ssl.Purpose.SERVER_AUTH)
            if not server_side:
                context.check_hostname = _OPENSSL_CHECKS_HOSTNAME
    return context


def _file_key(path):
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return (path, None)     # create_context reports it
    return (path, st.st_mtime, st.st_size, st.st_ino)


_contexts = {}
_CONTEXTS_MAX = 32


def _cached_context(keyfile, certfile, server_side, ssl_version, require_cert, ca_certs):
    """create_context, reused while the files are unchanged (a server wraps
    every accepted connection with the same arguments)."""
    key = (_file_key(keyfile), _file_key(certfile), bool(server_side), ssl_version,
           require_cert, _file_key(ca_certs))
    context = _contexts.get(key)
    if context is None:
        context = create_context(keyfile, certfile, server_side, ssl_version,
                                 require_cert, ca_certs)
        if len(_contexts) >= _CONTEXTS_MAX:
            _contexts.clear()
        _contexts[key] = context
    return context


def _sslobj(context, raw, server_side, hostname, strict=True):
    """OpenSSL's connection object on raw's fd (raw stays its owner).  A
    context of the caller's (strict) that checks host names needs one."""
    if hostname is not None and server_side:
        raise ValueError("server_hostname can only be given to a client")
    if strict and hostname is None and context.check_hostname and not server_side:
        raise ValueError("check_hostname requires server_hostname")
    # SSLContext._wrap_socket makes the C object ssl.SSLSocket itself keeps in
    # _sslobj (2.7.9+ and 3.x, positional arguments alike): OpenSSL on raw's
    # fd, non-blocking as raw is, its read/write/do_handshake/shutdown
    # raising SSLWantReadError/SSLWantWriteError.  The public wrap_socket
    # would add a Python layer per call and take the fd over.
    with _converted():
        return context._wrap_socket(raw, bool(server_side), hostname)


def _reads_eof_cleanly(context):
    return _OPENSSL3 and context.options & OP_IGNORE_UNEXPECTED_EOF


def _eof_tolerant(read):
    """read, with a peer's close without close_notify read as the end of
    data (for OpenSSL < 3 or contexts without OP_IGNORE_UNEXPECTED_EOF)."""
    def tolerant(*args):
        try:
            return read(*args)
        except _ssl.SSLError as error:
            if not _is_ragged_eof(error):
                raise
            return 0 if len(args) > 1 else b""
    return tolerant


def _is_ragged_eof(error):
    """OpenSSL's ways of saying "the peer closed without close_notify"
    (Python 2.7 names OpenSSL 3's reason wrongly, hence the text)."""
    if isinstance(error, (_ssl.SSLWantReadError, _ssl.SSLWantWriteError)):
        return False
    if not _OPENSSL3 and error.args[0] in (_ssl.SSL_ERROR_EOF, _ssl.SSL_ERROR_SYSCALL):
        return True     # (OpenSSL 3 says this of a reset too)
    return getattr(error, "reason", None) == "UNEXPECTED_EOF_WHILE_READING" or \
        "unexpected eof while reading" in str(error).lower()


# ---- the TLS socket ------------------------------------------------------------------------

class _TLSMethods(object):
    """TLS operations on an IoSocket (self.call) holding `_tls`, OpenSSL's
    connection object; shared by SSLSocket and asyncoro's TLS sockets.
    recv, recv_into, send and sendall are `_tls_set`'s: SSLSocket's are C
    (_core.TlsSocket), asyncoro's those of _TLSCalls."""

    def _tls_setup(self, context, raw, server_side, hostname, strict=True):
        tls = _sslobj(context, raw, server_side, hostname, strict)
        self._tls = tls
        self._tls_context = context
        self._tls_server_side = bool(server_side)
        self._tls_hostname = hostname
        # Python 2.7 leaves the host name check to us (ours: when verifying)
        self._tls_check_host = hostname is not None and not _OPENSSL_CHECKS_HOSTNAME and (
            context.check_hostname or not strict and context.verify_mode != _ssl.CERT_NONE)
        read = tls.read if _reads_eof_cleanly(context) else _eof_tolerant(tls.read)
        self._tls_set(read, tls.write, _WANTS[0], _WANTS[1])

    def _tls_t(self, timeout):
        return self.timeout if timeout is _DEFAULT else _check_timeout(timeout)

    @stream
    def _tls_handshake(self, timeout):
        yield self.call(0 if self._tls_server_side else 1, self._tls.do_handshake, (),
                        timeout, *_WANTS)
        if self._tls_check_host:
            match_hostname(self._tls_peercert(False), self._tls_hostname)

    def _tls_peercert(self, binary_form):
        with _converted():
            if _PY2:
                return self._tls.peer_certificate(binary_form)
            return self._tls.getpeercert(binary_form)

    @stream
    def getpeercert(self, binary_form=False):
        """A stream giving the peer's certificate (a dict, or DER bytes)."""
        yield _core.sleep(0)
        stop(self._tls_peercert(binary_form))

    def cipher(self):
        """(name, protocol version, secret bits) of the cipher in use."""
        return self._tls.cipher()

    def version(self):
        """The negotiated protocol, such as 'TLSv1.3'."""
        return self._tls.version()

    def pending(self):
        """Plaintext bytes OpenSSL holds, ready for recv without the fd."""
        return self._tls.pending()

    def _tls_close_notify(self):
        """Send close_notify if the fd takes it now (close does not wait)."""
        try:
            self._tls.shutdown()
        except (_ssl.SSLError, _stdsocket.error, ValueError):
            pass

    def _tls_unwrap(self, timeout):
        """A stream: both close_notify alerts exchanged."""
        return self.call(1, self._tls.shutdown, (), self._tls_t(timeout), *_WANTS)


class _TLSCalls(_TLSMethods):
    """recv, recv_into, send and sendall in Python, as IoSocket `call`s of
    the ssl object's read and write: for asyncoro's TLS sockets, whose base
    classes are plain IoSockets (SSLSocket has them in C: _core.TlsSocket)."""

    def _tls_set(self, read, write, want_read, want_write):
        self._tls_read = read
        self._tls_write = write

        def write_all(data):    # (all of it: the stdlib does not enable partial writes)
            write(data)
        self._tls_write_all = write_all

    def recv(self, bufsize, flags=0, timeout=_DEFAULT):
        """A stream giving up to bufsize bytes of plaintext; b"" at the end
        (close_notify, or a close without it)."""
        if flags != 0:
            raise ValueError("flags not supported by SSL sockets")
        if bufsize <= 0:
            return _IO.recv(self, 0)
        if bufsize > _RECORD:
            bufsize = _RECORD
        if timeout is _DEFAULT:
            timeout = self.timeout
        else:
            timeout = _check_timeout(timeout)
        return _call(self, 0, self._tls_read, (bufsize,), timeout, *_WANTS)

    def recv_into(self, buffer, nbytes=0, flags=0, timeout=_DEFAULT):
        """A stream giving the count of plaintext bytes read into buffer."""
        if flags != 0:
            raise ValueError("flags not supported by SSL sockets")
        if nbytes < 0:
            raise ValueError("negative buffersize in recv_into")
        size = len(memoryview(buffer))
        nbytes = min(nbytes, size) if nbytes else size
        if nbytes == 0:
            return _IO.recv(self, 0)
        return self.call(0, self._tls_read, (nbytes, buffer), self._tls_t(timeout), *_WANTS)

    def send(self, data, flags=0, timeout=_DEFAULT):
        """A stream writing up to 16 KiB of data; gives the count written."""
        data = _check_data(data)
        if flags != 0:
            raise ValueError("flags not supported by SSL sockets")
        if len(data) > _RECORD:
            data = memoryview(data)[:_RECORD]
        return self.call(1, self._tls_write, (data,), self._tls_t(timeout), *_WANTS)

    def sendall(self, data, flags=0, timeout=_DEFAULT):
        """A stream writing all of data; the timeout covers all of it."""
        if type(data) is not bytes:
            data = _check_data(data)
        if flags != 0:
            raise ValueError("flags not supported by SSL sockets")
        if timeout is _DEFAULT:
            timeout = self.timeout
        else:
            timeout = _check_timeout(timeout)
        return _call(self, 1, self._tls_write_all, (data,), timeout, *_WANTS)


def _take_raw(sock):
    """The fd of `sock` (an idiokit Socket or SSLSocket), in a stdlib socket
    that now owns it; sock is left closed."""
    raw = sock._sock
    if _PY2:
        new = raw.dup()                 # 2.7's _socket objects cannot detach
    else:
        new = _stdsocket.socket(raw.family, raw.type, raw.proto, raw.detach())
    _IO.close(sock)
    new.setblocking(False)
    return new


class SSLSocket(_TLSMethods, _core.TlsSocket):
    """A TLS connection on an idiokit socket, made by wrap_socket.  recv,
    recv_into, send, sendall, getpeercert, shutdown, close and unwrap are
    streams; recv/recv_into/send/sendall take timeout= (default: the
    socket's, see settimeout)."""

    def __init__(self, raw, timeout=None):
        self._sock = raw
        self._family, self._type = raw.family, raw.type
        self._attach(raw, raw.fileno())
        self.timeout = timeout

    def __repr__(self):
        return "<idiokit.ssl.SSLSocket fd=%d>" % self.fileno()

    def settimeout(self, timeout):
        """Set the default timeout of the waiting operations (None: wait forever)."""
        self.timeout = _check_timeout(timeout)

    def gettimeout(self):
        """The default timeout of the waiting operations (None: wait forever)."""
        return self.timeout

    # the socket's own calls after one loop turn, as idiokit.socket.Socket's
    # (shutdown without close_notify, as the original)
    _later = _idksocket.Socket.__dict__["_later"]
    shutdown = _idksocket.Socket.__dict__["shutdown"]
    getsockname = _idksocket.Socket.__dict__["getsockname"]
    getpeername = _idksocket.Socket.__dict__["getpeername"]
    getsockopt = _idksocket.Socket.__dict__["getsockopt"]
    setsockopt = _idksocket.Socket.__dict__["setsockopt"]
    # close(): a stream that, after one loop turn, sends close_notify (if the
    # fd takes it at once) and closes (_close_now), even when interrupted
    close = _idksocket.Socket.__dict__["close"]
    _closing = _idksocket.Socket.__dict__["_closing"]

    def _close_now(self):
        if not self.closed:
            self._tls_close_notify()
        _IO.close(self)

    @stream
    def unwrap(self, timeout=_DEFAULT):
        """A stream: the TLS session shut down both ways (close_notify sent
        and received), giving the plain idiokit Socket for the same
        connection.  This SSLSocket is closed."""
        yield self._tls_unwrap(timeout)
        plain = _idksocket.Socket(_sock=_take_raw(self))
        plain.settimeout(self.timeout)
        stop(plain)


_SSLSocket = SSLSocket      # the original's name


def wrap_socket(sock, keyfile=None, certfile=None, server_side=False,
                ssl_version=PROTOCOL_SSLv23, require_cert=None, ca_certs=None,
                timeout=_DEFAULT, context=None, server_hostname=None):
    """A stream: TLS on the connected idiokit socket `sock`, after a
    non-blocking handshake under `timeout` (default: sock's timeout, or
    HANDSHAKE_TIMEOUT, 60 s, if it has none; None: no limit); gives
    an SSLSocket, which takes over sock's connection (sock is closed).

    Either the original's keywords (keyfile, certfile, server_side,
    ssl_version, require_cert, ca_certs) or an ssl.SSLContext `context`.
    A client verifies the server's certificate against ca_certs (default:
    the system's CA store) unless require_cert=False, and its host name when
    server_hostname is given.  On failure the connection is closed and the
    stream raises SSLError, SSLCertificateError or SocketTimeout."""
    if not isinstance(sock, _idksocket.Socket):
        raise TypeError("wrap_socket needs an idiokit.socket.Socket, not %s"
                        % type(sock).__name__)
    if context is not None and (keyfile or certfile or ca_certs or require_cert is not None):
        raise ValueError("give either context or keyfile/certfile/require_cert/ca_certs")
    timeout = _handshake_timeout(sock.gettimeout()) if timeout is _DEFAULT \
        else _check_timeout(timeout)
    return _wrap(sock, keyfile, certfile, server_side, ssl_version, require_cert,
                 ca_certs, timeout, context, server_hostname)


@stream
def _wrap(sock, keyfile, certfile, server_side, ssl_version, require_cert, ca_certs,
          timeout, context, server_hostname):
    yield _core.sleep(0)
    strict = context is not None
    if context is None:
        context = _cached_context(keyfile, certfile, server_side, ssl_version,
                                  require_cert, ca_certs)
    tls = SSLSocket(_take_raw(sock), sock.gettimeout())
    try:
        tls._tls_setup(context, tls._sock, server_side, server_hostname, strict)
        yield tls._tls_handshake(timeout)
    except BaseException:
        _IO.close(tls)
        raise
    stop(tls)


# ---- certificates and host names -----------------------------------------------------------

_CA_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",      # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",        # Fedora, CentOS, RHEL
    "/etc/ssl/ca-bundle.pem",                  # openSUSE
    "/etc/ssl/cert.pem",                       # OpenBSD, FreeBSD, macOS
)


def _system_ca_bundle():
    paths = _ssl.get_default_verify_paths()
    for path in (paths.cafile,) + _CA_BUNDLES:
        if path and os.path.isfile(path):
            return path
    return None


@contextlib.contextmanager
def ca_certs(path=None):
    """A context manager giving a CA bundle file: `path` if given, else the
    system's (found on the usual paths or OpenSSL's default), else a temporary
    file holding the certificates OpenSSL's default locations provide.
    Raises SSLError if there are none."""
    if path is not None:
        yield path
        return
    found = _system_ca_bundle()
    if found is not None:
        yield found
        return
    context = _ssl.SSLContext(_protocol(PROTOCOL_SSLv23, False))
    context.load_default_certs()
    ders = context.get_ca_certs(binary_form=True)
    if not ders:
        raise SSLError(errno.ENOENT, "no system CA certificates found")
    with tempfile.NamedTemporaryFile(suffix=".pem") as fileobj:
        for der in ders:
            fileobj.write(_ssl.DER_cert_to_PEM_cert(der).encode("ascii"))
        fileobj.flush()
        yield fileobj.name


def identities(cert):
    """The host name patterns a certificate (getpeercert()'s dict) is for:
    its subjectAltName DNS entries, else its last commonName (RFC 2818)."""
    dns_names = [value for (key, value) in cert.get("subjectAltName", ()) if key == "DNS"]
    if dns_names:
        return dns_names
    common_names = []
    for fields in cert.get("subject", ()):
        common_names.extend(value for (key, value) in fields if key == "commonName")
    return common_names[-1:]


def _ip_address(text):
    for family in (_stdsocket.AF_INET, getattr(_stdsocket, "AF_INET6", None)):
        if family is None:
            continue
        try:
            return _stdsocket.inet_pton(family, text)
        except (_stdsocket.error, ValueError, UnicodeError):
            pass
    return None


def _match_pattern(pattern, hostname):
    """RFC 6125: labels compare case-insensitively; a `*` may appear in the
    leftmost label only, matches within that one label, and needs at least
    two labels after it; IDNA (xn--) labels are never wildcard-matched."""
    pattern_labels = pattern.rstrip(".").lower().split(".")
    host_labels = hostname.rstrip(".").lower().split(".")
    if len(pattern_labels) != len(host_labels) or "" in host_labels:
        return False
    first, rest = pattern_labels[0], pattern_labels[1:]
    if "*" in ".".join(rest) or rest != host_labels[1:]:
        return False
    if "*" not in first:
        return first == host_labels[0]
    if first.count("*") > 1 or len(rest) < 2:
        return False
    if first != "*" and (first.startswith("xn--") or host_labels[0].startswith("xn--")):
        return False
    head, tail = first.split("*")
    label = host_labels[0]
    return len(label) >= len(head) + len(tail) and label.startswith(head) and \
        label.endswith(tail)


def _describe(patterns):
    if len(patterns) == 1:
        return repr(patterns[0])
    return ", ".join(map(repr, patterns[:-1])) + " or " + repr(patterns[-1])


def match_hostname(cert, hostname):
    """Raise SSLCertificateError unless the certificate (getpeercert()'s
    dict) is for `hostname`.  An IP address matches subjectAltName IP
    entries only; a name matches identities(cert), `*` standing for one
    whole or partial leftmost label (never a prefix of the name)."""
    address = _ip_address(hostname)
    if address is not None:
        ips = [value for (key, value) in cert.get("subjectAltName", ()) if key == "IP Address"]
        for ip in ips:
            if _ip_address(ip.strip()) == address:
                return
        if not ips:
            raise SSLCertificateError("certificate has no IP address for %r" % (hostname,))
        raise SSLCertificateError("hostname %r doesn't match %s" % (hostname, _describe(ips)))
    patterns = list(identities(cert))
    if not patterns:
        raise SSLCertificateError("certificate doesn't contain any hostname patterns")
    for pattern in patterns:
        if _match_pattern(pattern, hostname):
            return
    raise SSLCertificateError("hostname %r doesn't match %s" % (hostname, _describe(patterns)))


# ---- TLS for idiokit.asyncoro.AsyncSocket ----------------------------------------------------

def _not_connected(*args):
    raise SocketError(errno.ENOTCONN, "TLS socket not connected (accept or connect first)")


class _AsyncoroTLS(_TLSCalls):
    """What an asyncoro AsyncSocket made with certfile (or pycos's
    ssl_context) adds: accept() gives connections with the server side of
    the handshake done, connect() does the client side, and recv/send/...
    speak TLS.  As in asyncoro, a client's certfile is the CA bundle the
    server's certificate is verified against (no host name check); with an
    ssl_context, the host name is checked if the context says so."""

    def _tls_init(self, keyfile, certfile, ssl_version, ssl_context):
        self._tls_args = (keyfile, certfile, PROTOCOL_SSLv23 if ssl_version is None
                          else ssl_version, ssl_context)
        self._tls = None
        self._tls_read = self._tls_write = self._tls_write_all = _not_connected

    def _tls_context_for(self, server_side):
        keyfile, certfile, ssl_version, context = self._tls_args
        if context is not None:
            return context
        if server_side:
            return _cached_context(keyfile, certfile, True, ssl_version, False, None)
        return _cached_context(None, None, False, ssl_version, True, certfile)

    def _tls_raw(self):
        raw = self._sock
        if _PY2 and not isinstance(raw, _rawsocket.socket):
            raw = raw._sock     # 2.7's socket.socket wraps the _socket object
        return raw

    @stream
    def _tls_start(self, server_side, hostname, timeout):
        try:
            with _converted():
                self._tls_setup(self._tls_context_for(server_side), self._tls_raw(),
                                server_side, hostname, strict=False)
            yield self._tls_handshake(timeout)
        except BaseException:
            self.close()
            raise

    def _tls_wrap_accepted(self):
        """Accepted connections on stdlib socket objects in non-blocking
        mode (OpenSSL's object needs a weak reference to one, and reads its
        timeout to know it must not wait)."""
        family, type, proto, cls = self._family, self._type, self._proto, self.__class__

        def wrap(fd, address):
            if _PY2:
                raw = _rawsocket.fromfd(fd, family, type, proto)
                os.close(fd)
            else:
                raw = _stdsocket.socket(family, type, proto, fd)
            raw.setblocking(False)
            return cls._from_raw(raw, family, type, proto), address
        return wrap

    @stream
    def accept(self, timeout=_DEFAULT):
        if self._wrap is None:
            self._wrap = self._tls_wrap_accepted()
        conn, address = yield super(_AsyncoroTLS, self).accept(timeout)
        conn._tls_args = self._tls_args
        yield conn._tls_start(True, None, _handshake_timeout(self._tls_t(timeout)))
        stop(conn, address)

    @stream
    def connect(self, address, timeout=_DEFAULT):
        yield super(_AsyncoroTLS, self).connect(address, timeout)
        context = self._tls_context_for(False)
        hostname = address[0] if context.check_hostname and isinstance(address, tuple) \
            else None
        yield self._tls_start(False, hostname, _handshake_timeout(self._tls_t(timeout)))

    def close(self):
        raw = self._tls_raw() if _PY2 else None
        if self._tls is not None and not self.closed:
            self._tls_close_notify()
        super(_AsyncoroTLS, self).close()
        if isinstance(raw, _rawsocket.socket):
            raw.close()     # 2.7: OpenSSL's object holds the _socket object, which holds the fd


_asyncoro_classes = {}


def asyncoro_tls_class(cls):
    """The TLS variant of an AsyncSocket class (made once per class)."""
    tls_cls = _asyncoro_classes.get(cls)
    if tls_cls is None:
        tls_cls = type(cls)(cls.__name__, (_AsyncoroTLS, cls), {"__module__": cls.__module__})
        _asyncoro_classes[cls] = tls_cls
    return tls_cls
