"""idiokit.xmpp.sasl: the client side of SASL PLAIN (RFC 4616) and
SCRAM-SHA-1 (RFC 5802), as plain functions on bytes; core.py carries the
messages over the XMPP stream.  Names and passwords go through SASLprep
(RFC 4013) on the standard library's stringprep tables."""
from __future__ import absolute_import

import base64
import hashlib
import hmac
import os
import stringprep
import sys
from unicodedata import ucd_3_2_0

__all__ = ["SASLError", "saslprep", "plain_message", "ScramSHA1"]

_text_type = unicode if sys.version_info[0] < 3 else str  # noqa: F821 (Python 2)


class SASLError(ValueError):
    """Bad credentials for a mechanism, or a server message that breaks it."""


_PROHIBITED = (
    stringprep.in_table_c12, stringprep.in_table_c21, stringprep.in_table_c22,
    stringprep.in_table_c3, stringprep.in_table_c4, stringprep.in_table_c5,
    stringprep.in_table_c6, stringprep.in_table_c7, stringprep.in_table_c8,
    stringprep.in_table_c9, stringprep.in_table_a1,
)


def saslprep(text):
    """The SASLprep profile of stringprep (RFC 4013) of text."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    text = _text_type(text)
    mapped = []
    for char in text:
        if stringprep.in_table_b1(char):
            continue
        mapped.append(u" " if stringprep.in_table_c12(char) else char)
    text = ucd_3_2_0.normalize("NFKC", u"".join(mapped))
    for char in text:
        if any(table(char) for table in _PROHIBITED):
            raise SASLError("prohibited character {0!r} in a SASL string".format(char))
    if any(stringprep.in_table_d1(char) for char in text):
        if any(stringprep.in_table_d2(char) for char in text) or \
                not (stringprep.in_table_d1(text[0]) and stringprep.in_table_d1(text[-1])):
            raise SASLError("bad bidirectional text in a SASL string")
    return text


def plain_message(username, password, authzid=u""):
    """PLAIN's message: authzid NUL username NUL password, UTF-8."""
    parts = [authzid, saslprep(username or u""), saslprep(password)]
    return b"\x00".join(part.encode("utf-8") for part in parts)


def _xor(left, right):
    return bytes(bytearray(a ^ b for a, b in zip(bytearray(left), bytearray(right))))


def _hmac(key, data):
    return hmac.new(key, data, hashlib.sha1).digest()


def _attributes(message):
    """The a=value,b=value attributes of a SCRAM message, as a dict."""
    result = {}
    for part in message.split(b","):
        if len(part) < 2 or part[1:2] != b"=":
            raise SASLError("malformed SCRAM message")
        result[part[:1]] = part[2:]
    return result


class ScramSHA1(object):
    """One SCRAM-SHA-1 exchange: first_message(), final_message(server
    first message), verify_server(server final message)."""

    def __init__(self, username, password, nonce=None):
        name = saslprep(username or u"").encode("utf-8")
        self._name = name.replace(b"=", b"=3D").replace(b",", b"=2C")
        self._password = saslprep(password).encode("utf-8")
        if nonce is None:
            nonce = base64.b64encode(os.urandom(18))
        self._nonce = nonce
        self._bare_first = b"n=" + self._name + b",r=" + nonce
        self._server_signature = None

    def first_message(self):
        """The client-first message (bytes), with the GS2 header 'n,,'."""
        return b"n,," + self._bare_first

    def final_message(self, server_first):
        """The client-final message (bytes, with the proof) for the server-first
        message; SASLError if that is malformed or its nonce is not ours."""
        attrs = _attributes(server_first)
        try:
            nonce, salt, iterations = attrs[b"r"], base64.b64decode(attrs[b"s"]), int(attrs[b"i"])
        except (KeyError, ValueError, TypeError):
            raise SASLError("malformed SCRAM server-first message")
        if not nonce.startswith(self._nonce) or iterations < 1 or iterations > 10 ** 7:
            raise SASLError("bad SCRAM server-first message (nonce or iteration count)")
        salted = hashlib.pbkdf2_hmac("sha1", self._password, salt, iterations)
        client_key = _hmac(salted, b"Client Key")
        stored_key = hashlib.sha1(client_key).digest()
        without_proof = b"c=biws,r=" + nonce
        auth_message = self._bare_first + b"," + server_first + b"," + without_proof
        proof = _xor(client_key, _hmac(stored_key, auth_message))
        self._server_signature = _hmac(_hmac(salted, b"Server Key"), auth_message)
        return without_proof + b",p=" + base64.b64encode(proof)

    def verify_server(self, server_final):
        """Check the server-final message's signature; SASLError if it is an
        error, malformed, or does not match (not the real server)."""
        attrs = _attributes(server_final)
        if b"e" in attrs:
            raise SASLError("SCRAM error from the server: " + attrs[b"e"].decode("utf-8", "replace"))
        try:
            signature = base64.b64decode(attrs[b"v"])
        except (KeyError, ValueError, TypeError):
            raise SASLError("malformed SCRAM server-final message")
        if self._server_signature is None or \
                not hmac.compare_digest(signature, self._server_signature):
            raise SASLError("the server's SCRAM signature does not match: not the real server")
