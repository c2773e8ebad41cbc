from ... import idiokit as idiokit
from .utils import normpath as normpath, urlsplit as urlsplit

from typing import Callable

from ..._core import Stream

def redirect(where: str) -> Callable[..., Stream]: ...
