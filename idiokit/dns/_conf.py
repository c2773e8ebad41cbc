"""The resolver options of /etc/resolv.conf and RES_OPTIONS that c-ares 1.18
does not read itself: glibc's `timeout:n` (seconds per try) and `attempts:n`
(tries).  c-ares reads ndots, rotate, the search list, LOCALDOMAIN and its own
`retrans:`/`retry:` spellings; this module fills in the glibc ones, with
glibc's rules: RES_OPTIONS overrides the file, timeout is capped at 30 s and
attempts at 5."""
from __future__ import absolute_import

import os

RESOLV_CONF_PATH = "/etc/resolv.conf"
MAX_TIMEOUT = 30
MAX_ATTEMPTS = 5


def _apply(tokens, options):
    for token in tokens:
        key, sep, value = token.partition(":")
        if not sep or key not in ("timeout", "attempts"):
            continue
        try:
            number = int(value)
        except ValueError:
            continue
        if number < 1:
            continue
        if key == "timeout":
            options["timeout"] = float(min(number, MAX_TIMEOUT))
        else:
            options["tries"] = min(number, MAX_ATTEMPTS)


def options(path=None, environ=None):
    """{"timeout": seconds, "tries": n} for the options set (missing keys are
    left to c-ares's defaults)."""
    path = RESOLV_CONF_PATH if path is None else path
    environ = os.environ if environ is None else environ
    result = {}
    try:
        with open(path, "rb") as f:
            data = f.read().decode("utf-8", "replace")
    except (IOError, OSError):
        data = ""
    for line in data.splitlines():
        fields = line.split("#", 1)[0].split(";", 1)[0].split()
        if fields and fields[0] == "options":
            _apply(fields[1:], result)
    _apply(environ.get("RES_OPTIONS", "").split(), result)
    return result
