"""idiokit.irc: an IRC client as a stream.

connect(host, port, nick, password=None, ssl=False, ssl_verify_cert=True,
ssl_ca_certs=None, timeout=30.0) registers with the server (PASS, NICK,
USER; when the nick is taken it tries variations, then NickAlreadyInUse)
and results in an IRC stream.  The stream's output is one
(prefix, command, params) tuple per message from the server (prefix None
when absent, params a list); its input takes (command, *params) tuples to
send.  It answers the server's PING itself, sends a PING of its own after
10 s without input from the server, and fails with IRCError when the
connection is lost or silent for `timeout` seconds.

Messages are text: on Python 3 lines are decoded as UTF-8 (Latin-1 when
not valid UTF-8) and sent as UTF-8; on Python 2 they are byte strings, as
in the original.
"""
from __future__ import absolute_import

import re
import sys
import time

from . import idiokit, socket, timer

__all__ = ["connect", "IRC", "IRCError", "NickAlreadyInUse", "IRCParser",
           "format_message", "mutations"]

_PY2 = sys.version_info[0] < 3
MAX_LINE = 510          # RFC 2812: 512 bytes with the CR LF
PING_INTERVAL = 10.0
_now = getattr(time, "monotonic", time.time)
ERROR_REX = re.compile(r"^[45]\d\d$")


class IRCError(Exception):
    """A protocol error, an error reply, or a lost connection."""


class NickAlreadyInUse(IRCError):
    """Every variation of the nick was taken."""


if _PY2:
    def _decode(line):
        return line

    def _encode(text):
        return text.encode("utf-8") if isinstance(text, unicode) else text  # noqa: F821
else:
    def _decode(line):
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError:
            return line.decode("latin-1")

    def _encode(text):
        return text.encode("utf-8")


class IRCParser(object):
    """Splits received bytes into messages: feed(data) yields a
    (prefix, command, params) tuple for each complete line."""

    def __init__(self):
        self._buffer = b""
        self._lines = []    # complete lines not yet yielded

    def feed(self, data=b""):
        """A generator of (prefix, command, params) for each complete line of the
        bytes received so far plus `data`; IRCError for a NUL or a line over 512
        bytes."""
        lines = (self._buffer + data).split(b"\n")
        self._buffer = lines.pop()
        if len(self._buffer) > MAX_LINE + 1:
            self._buffer = b""
            raise IRCError("too long message (over 512 bytes)")
        # A caller that stops iterating early (connect() at the welcome
        # message) finds the rest in the next feed().
        pending = self._lines
        pending.extend(lines)
        while pending:
            line = pending.pop(0)
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line:
                continue
            if b"\x00" in line:
                raise IRCError("NUL not allowed in messages")
            if len(line) > MAX_LINE:
                raise IRCError("too long message (over 512 bytes)")
            yield self.process_line(_decode(line))

    def process_line(self, line):
        """(prefix, command, params) of one line (without CR LF)."""
        if line.startswith(":"):
            parts = line.split(" ", 2)
            prefix = parts.pop(0)[1:]
        else:
            parts = line.split(" ", 1)
            prefix = None
        if len(parts) < 1 or not parts[0]:
            raise IRCError("invalid message: {0!r}".format(line))
        command = parts[0]
        rest = parts[1] if len(parts) > 1 else ""
        params = []
        while rest:
            if rest.startswith(":"):
                params.append(rest[1:])
                break
            param, _, rest = rest.partition(" ")
            if param:
                params.append(param)
        return prefix, command, params


def format_message(command, *params):
    """The line (with CR LF) for command and params; the last param is sent
    as the trailing one.  ValueError for CR, LF or NUL in any part, and for
    a middle param that is empty, has a space or starts with ':'."""
    parts = [command] + list(params)
    for part in parts:
        if "\r" in part or "\n" in part or "\x00" in part:
            raise ValueError("CR, LF and NUL are not allowed in IRC messages")
    for param in params[:-1]:
        if not param or " " in param or param.startswith(":"):
            raise ValueError("bad middle parameter {0!r}".format(param))
    return " ".join([command] + list(params[:-1]) + [":" + "".join(params[-1:])]) + "\r\n"


def mutations(*nicks):
    """The nicks, then variations of them with suffixes, within 9 chars."""
    for nick in nicks:
        yield nick
    for suffix in ("_", "-", "~", "^"):
        for nick in nicks:
            yield nick[:9 - len(suffix)] + suffix
    for nick in nicks:
        for number in range(1000000):
            suffix = str(number)
            yield nick[:9 - len(suffix)] + suffix


def _send_line(sock, command, *params):
    return sock.sendall(_encode(format_message(command, *params)))


@idiokit.stream
def _recv(sock, timeout):
    try:
        data = yield sock.recv(4096, timeout=timeout)
    except socket.SocketTimeout:
        raise IRCError("connection timed out (no data in {0} seconds)".format(timeout))
    if not data:
        raise IRCError("connection lost")
    idiokit.stop(data)


@idiokit.stream
def _init_ssl(sock, host, verify, ca_certs, timeout):
    from . import ssl as _ssl
    sock = yield _ssl.wrap_socket(sock, require_cert=verify, ca_certs=ca_certs, timeout=timeout)
    if verify:
        cert = yield sock.getpeercert()
        _ssl.match_hostname(cert, host)
    idiokit.stop(sock)


@idiokit.stream
def connect(host, port, nick, password=None, ssl=False, ssl_verify_cert=True,
            ssl_ca_certs=None, timeout=30.0):
    """Connect and register; results in an IRC stream."""
    sock = socket.Socket()
    registered = False
    try:   # (no bare raise after a yield: Python 2 would lose the exception)
        yield sock.connect((host, port), timeout=timeout)
        if ssl:
            sock = yield _init_ssl(sock, host, ssl_verify_cert, ssl_ca_certs, timeout)
        parser = IRCParser()
        nick = yield _register(sock, parser, nick, password, timeout)
        registered = True
    finally:
        if not registered:
            yield sock.close()
    idiokit.stop(IRC(_main(sock, parser, timeout), nick))


@idiokit.stream
def _register(sock, parser, nick, password, timeout):
    nicks = mutations(nick)
    current = next(nicks)
    if password is not None:
        yield _send_line(sock, "PASS", password)
    yield _send_line(sock, "NICK", current)
    yield _send_line(sock, "USER", nick, nick, "-", nick)
    while True:
        data = yield _recv(sock, timeout)
        for prefix, command, params in parser.feed(data):
            if command == "PING":
                yield _send_line(sock, "PONG", *params)
            elif command == "001":
                idiokit.stop(current)
            elif command in ("433", "432", "436"):
                if command != "433":
                    raise IRCError("".join(params[-1:]))
                for current in nicks:
                    yield _send_line(sock, "NICK", current)
                    break
                else:
                    raise NickAlreadyInUse("".join(params[-1:]))
            elif ERROR_REX.match(command):
                raise IRCError("".join(params[-1:]))


@idiokit.stream
def _main(sock, parser, timeout):
    heard = [_now()]

    @idiokit.stream
    def _input():
        while True:
            try:
                msg = yield timer.timeout(PING_INTERVAL, idiokit.next())
            except timer.Timeout:
                if _now() - heard[0] >= PING_INTERVAL:
                    yield _send_line(sock, "PING", "keepalive")
                continue
            yield _send_line(sock, *msg)

    @idiokit.stream
    def _output():
        data = b""
        while True:
            for prefix, command, params in parser.feed(data):
                if command == "PING":
                    yield _send_line(sock, "PONG", *params)
                yield idiokit.send(prefix, command, params)
            data = yield _recv(sock, timeout)
            heard[0] = _now()

    try:
        yield _input() | _output()
    finally:
        yield sock.close()


class IRC(idiokit.Proxy):
    """The registered connection: output (prefix, command, params) tuples,
    input (command, *params) tuples; nick is the nick registered with."""

    def __init__(self, proxied, nick):
        idiokit.Proxy.__init__(self, proxied)
        self.nick = nick

    def set_nick(self, nick):
        """A stream sending NICK `nick`."""
        return self.send("NICK", nick)

    def quit(self, message=None):
        """A stream sending QUIT (with `message` if given)."""
        if message is None:
            return self.send(("QUIT",))
        return self.send("QUIT", message)

    def join(self, channel, key=None):
        """A stream sending JOIN `channel` (with `key` if given)."""
        if key is None:
            return self.send("JOIN", channel)
        return self.send("JOIN", channel, key)
