"""The hosts file for idiokit.dns: a/aaaa/host_lookup look here first, as
system resolvers do.  Parsed once and re-read when the file changes; the
file is looked at (stat) at most once per RECHECK seconds, so a change is
seen within that time and a busy resolver makes no syscall per lookup."""
from __future__ import absolute_import

import os
import socket
import time

from ._names import parse_ip

HOSTS_PATH = "/etc/hosts"

RECHECK = 1.0
_now = getattr(time, "monotonic", time.time)
_cache = {"key": None, "path": None, "entries": {}, "checked": None}


def _load(path):
    entries = {}
    try:
        with open(path, "rb") as f:
            data = f.read().decode("utf-8", "replace")
    except (IOError, OSError):
        return entries
    for line in data.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        try:
            family, ip = parse_ip(fields[0].split("%", 1)[0])
        except ValueError:
            continue
        for name in fields[1:]:
            addrs = entries.setdefault(name.lower().rstrip("."), [])
            if (family, ip) not in addrs:
                addrs.append((family, ip))
    return entries


def _entries():
    path = HOSTS_PATH
    now = _now()
    checked = _cache["checked"]
    if path == _cache["path"] and checked is not None and 0 <= now - checked < RECHECK:
        return _cache["entries"]
    _cache["checked"] = now
    try:
        st = os.stat(path)
        key = (st.st_mtime, st.st_size, st.st_ino)
    except OSError:
        key = None
    if key != _cache["key"] or path != _cache["path"]:
        _cache["entries"] = _load(path) if key is not None else {}
        _cache["key"] = key
        _cache["path"] = path
    return _cache["entries"]


def lookup(name, family=None):
    """[(family, ip)] for `name` in the hosts file (only `family` if given),
    or [] when it is not there."""
    found = _entries().get(name.lower().rstrip("."))
    if not found:
        return []
    return [pair for pair in found if family is None or pair[0] == family]


AF_INET = socket.AF_INET
AF_INET6 = socket.AF_INET6
