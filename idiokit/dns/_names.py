"""Names and addresses for idiokit.dns: IDNA encoding and the checks the
original made (ValueError for an empty name, an empty label, a label over
63 bytes, a name over 255 bytes), literal IPs and reverse-lookup names."""
from __future__ import absolute_import

import socket
import sys

_PY3 = sys.version_info[0] >= 3
_text_type = str if _PY3 else unicode  # noqa: F821


# The names encode_name gave lately (a server asking about the same names
# over and over checks each once); cleared when full.
_encoded = {}
_ENCODED_MAX = 1024


def encode_name(name):
    """The name as an ASCII native str ready for the wire: IDNA-encoded when
    it is not ASCII, one trailing dot kept (the name is then absolute).
    ValueError (UnicodeError is one) when it cannot be a DNS name."""
    try:
        return _encoded[type(name), name]
    except (KeyError, TypeError):
        pass
    result = _encode_name(name)
    if len(_encoded) >= _ENCODED_MAX:
        _encoded.clear()
    _encoded[type(name), name] = result
    return result


def _encode_name(name):
    if isinstance(name, bytes):
        try:
            text = name.decode("ascii")
        except UnicodeError:
            raise ValueError("a byte string name must be ASCII: %r" % (name,))
    elif isinstance(name, _text_type):
        text = name
    else:
        raise TypeError("name must be a string, not %s" % type(name).__name__)

    absolute = text.endswith(".")
    labels = text[:-1].split(".") if absolute else text.split(".")
    if text in ("", "."):
        raise ValueError("empty name")
    encoded = []
    for label in labels:
        if not label:
            raise ValueError("zero length label in %r" % (text,))
        try:
            label.encode("ascii")
        except UnicodeError:
            label = label.encode("idna").decode("ascii")
        if "\\" in label or "\x00" in label:
            raise ValueError("invalid character in label %r" % (label,))
        if len(label) > 63:
            raise ValueError("label over 63 bytes in %r" % (text,))
        encoded.append(label)
    # Wire length: a length byte per label, the labels, the root byte.
    if sum(len(label) + 1 for label in encoded) + 1 > 255:
        raise ValueError("name over 255 bytes")
    result = ".".join(encoded) + ("." if absolute else "")
    return str(result)


def parse_ip(ip):
    """(family, canonical text) of a literal IPv4/IPv6 address, or raise
    ValueError."""
    if isinstance(ip, bytes) and _PY3:
        ip = ip.decode("ascii", "replace")
    if not isinstance(ip, (str, _text_type)):
        raise ValueError("not an IP address: %r" % (ip,))
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            packed = socket.inet_pton(family, ip)
        except (socket.error, ValueError, UnicodeError, TypeError):
            continue
        return family, socket.inet_ntop(family, packed)
    raise ValueError("not an IP address: %r" % (ip,))


def reverse_name(ip):
    """The in-addr.arpa / ip6.arpa name of a literal IP; ValueError if not one."""
    family, text = parse_ip(ip)
    packed = bytearray(socket.inet_pton(family, text))
    if family == socket.AF_INET:
        return ".".join(str(b) for b in reversed(packed)) + ".in-addr.arpa"
    nibbles = []
    for b in reversed(packed):
        nibbles.append("%x" % (b & 0xf))
        nibbles.append("%x" % (b >> 4))
    return ".".join(nibbles) + ".ip6.arpa"
