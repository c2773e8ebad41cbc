from _typeshed import Incomplete
from collections.abc import Generator
from typing import NamedTuple

MX: Incomplete
SRV: Incomplete

class RR(NamedTuple):
    name: Incomplete
    type: Incomplete
    cls: Incomplete
    ttl: Incomplete
    data: Incomplete

class A(NamedTuple):
    ip: Incomplete

class AAAA(NamedTuple):
    ip: Incomplete

class CNAME(NamedTuple):
    name: Incomplete

class PTR(NamedTuple):
    name: Incomplete

class NS(NamedTuple):
    name: Incomplete

class TXT(NamedTuple):
    strings: Incomplete

def ordered_srv_records(srv_records) -> Generator[Incomplete, None, Incomplete]: ...
