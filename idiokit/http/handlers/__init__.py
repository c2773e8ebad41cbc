"""Ready-made handlers: Router({prefix: handler}), redirect(where) and
filehandler(FileSystem(root) or BakedFileSystem(dict), index=None)."""
from __future__ import absolute_import

from .router import Router  # noqa: F401
from .redirect import redirect  # noqa: F401
from .filehandler import filehandler, FileSystem, BakedFileSystem  # noqa: F401

__all__ = ["Router", "redirect", "filehandler", "FileSystem", "BakedFileSystem"]
