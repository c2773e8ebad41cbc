from typing import Any, NamedTuple, Type, TypeVar

_V = TypeVar("_V", bound="HTTPVersion")

class HTTPVersion(NamedTuple):
    major: int
    minor: int
    @classmethod
    def from_string(cls: Type[_V], string: str) -> _V: ...
    def __eq__(self, other: object) -> bool: ...
    def __ne__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

HTTP10: HTTPVersion
HTTP11: HTTPVersion
