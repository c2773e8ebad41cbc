from ._names import parse_ip as parse_ip
from _typeshed import Incomplete

HOSTS_PATH: str
RECHECK: float

def lookup(name, family=None): ...

AF_INET: Incomplete
AF_INET6: Incomplete
