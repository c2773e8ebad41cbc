from .filehandler import BakedFileSystem as BakedFileSystem, FileSystem as FileSystem, filehandler as filehandler
from .redirect import redirect as redirect
from .router import Router as Router

__all__ = ['Router', 'redirect', 'filehandler', 'FileSystem', 'BakedFileSystem']
