from ... import idiokit as idiokit
from .utils import normpath as normpath, urlsplit as urlsplit

def redirect(where): ...
