"""filehandler: serve files from a directory (FileSystem) or from a dict
baked into the program (BakedFileSystem), never outside its root."""
from __future__ import absolute_import

import io
import mimetypes
import os
import re

from ... import idiokit
from .utils import normpath, unquote, urlsplit

_SAFE = re.compile(r"^[\w\-\./]*$")


class FileSystem(object):
    """The files under `root_path`.  A path with characters other than
    letters, digits, "-", "_", "." and "/", or one that leaves the root
    (also through a symbolic link), is not found."""

    def __init__(self, root_path):
        self._abs_root = os.path.realpath(root_path)

    def _sanitize_path(self, path):
        path = normpath(path, "/", unquote=False)
        if not _SAFE.match(path):
            raise ValueError("forbidden characters in path")
        full = os.path.realpath(os.path.join(self._abs_root, *path.split("/")[1:]))
        if full != self._abs_root and not full.startswith(self._abs_root + os.sep):
            raise ValueError("path leaves the root")
        return full

    def check_path(self, path):
        """The absolute file name for URL path `path`, or False if refused."""
        try:
            return self._sanitize_path(path)
        except ValueError:
            return False

    def isfile(self, path):
        """True if `path` names a regular file under the root."""
        full = self.check_path(path)
        return bool(full) and os.path.isfile(full)

    def isdir(self, path):
        """True if `path` names a directory under the root."""
        full = self.check_path(path)
        return bool(full) and os.path.isdir(full)

    def open(self, path):
        """The file at `path`, opened for binary reading; IOError if refused."""
        try:
            return open(self._sanitize_path(path), "rb")
        except ValueError:
            raise IOError("not found")


class BakedFileSystem(object):
    """Files from a dict: name -> bytes (a file) or dict (a directory)."""

    def __init__(self, data):
        self._data = data

    def _get(self, path):
        try:
            pieces = normpath(path, "/", unquote=False).split("/")[1:]
        except ValueError:
            raise IOError("not found")
        current = self._data
        for piece in pieces:
            if piece == "":
                continue
            if not isinstance(current, dict) or piece not in current:
                raise IOError("not found")
            current = current[piece]
        return current

    def check_path(self, path):
        """Always True: no path can leave the dict."""
        return True

    def isfile(self, path):
        """True if `path` names a file (not a dict)."""
        try:
            return not isinstance(self._get(path), dict)
        except IOError:
            return False

    def isdir(self, path):
        """True if `path` names a directory (a dict)."""
        try:
            return isinstance(self._get(path), dict)
        except IOError:
            return False

    def open(self, path):
        """A BytesIO of the file at `path` (str is UTF-8 encoded); IOError if it
        is missing or a directory."""
        data = self._get(path)
        if isinstance(data, dict):
            raise IOError("is a directory")
        if not isinstance(data, bytes):
            data = data.encode("utf-8")
        return io.BytesIO(data)


def _size(f):
    if isinstance(f, io.BytesIO):
        return len(f.getvalue())
    return os.fstat(f.fileno()).st_size


@idiokit.stream
def _send_file(filesystem, response, path):
    headers = {}
    content_type, content_encoding = mimetypes.guess_type(path)
    if content_type is not None:
        headers["content-type"] = content_type
    if content_encoding is not None:
        headers["content-encoding"] = content_encoding
    try:
        f = filesystem.open(path)
    except (IOError, OSError):
        yield response.write_status(404)
        return
    try:
        headers["content-length"] = _size(f)
        yield response.write_headers(headers)
        while True:
            data = f.read(65536)
            if not data:
                break
            yield response.write(data)
    finally:
        f.close()


def filehandler(filesystem, index=None):
    """A handler serving the files of `filesystem`; `index` is the file
    served for "/"."""
    @idiokit.stream
    def _filehandler(addr, request, response):
        try:
            path = unquote(normpath(urlsplit(request.uri).path))
        except ValueError:
            yield response.write_status(404)
            return
        if filesystem.isfile(path):
            yield _send_file(filesystem, response, path)
        elif path == "/" and index is not None and filesystem.isdir(path):
            yield _send_file(filesystem, response, normpath("/" + index))
        else:
            yield response.write_status(404)
    return _filehandler
