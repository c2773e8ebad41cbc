from urllib.parse import (quote as quote, unquote as unquote, urlsplit as urlsplit,
                          urlunsplit as urlunsplit)

def normpath(path: str, root_path: str = ..., unquote_path: bool = ..., **keys: bool) -> str: ...
