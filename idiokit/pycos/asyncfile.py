"""idiokit.pycos.asyncfile: pycos's asyncfile (AsyncFile, AsyncPipe, Popen),
the same classes as idiokit.asyncoro.asyncfile."""
from __future__ import absolute_import

from ..asyncoro.asyncfile import AsyncFile, AsyncPipe, Popen  # noqa: F401

__all__ = ["AsyncFile", "AsyncPipe", "Popen"]
