"""normpath: a URL path normalised under a root, refusing to climb above it."""
from __future__ import absolute_import

import re

try:
    from urllib.parse import quote, unquote, urlsplit, urlunsplit  # noqa: F401
except ImportError:  # Python 2
    from urllib import quote, unquote  # noqa: F401
    from urlparse import urlsplit, urlunsplit  # noqa: F401


def normpath(path, root_path="/", unquote_path=True, **keys):
    """Resolve "." and ".." in `path` under `root_path`; ValueError if it
    would leave the root.  The result is %-quoted.

    >>> normpath("a/../b")
    '/b'
    >>> normpath("a/../../b")
    Traceback (most recent call last):
        ...
    ValueError: path leaves its root
    """
    if keys.pop("unquote", unquote_path):
        path = unquote(path)
    if keys:
        raise TypeError("unknown keyword(s): " + ", ".join(keys))
    pieces = []
    for piece in path.split("/"):
        if piece in ("", "."):
            continue
        if piece == "..":
            if not pieces:
                raise ValueError("path leaves its root")
            pieces.pop()
        else:
            pieces.append(piece)
    result = root_path + "/" + "/".join(pieces)
    if path.endswith("/") and pieces:
        result += "/"
    return quote(re.sub("/+", "/", result))
