from _typeshed import Incomplete

DNSError: Incomplete
DNSTimeout: Incomplete
NoData: Incomplete
MessageError: Incomplete
ResponseError: Incomplete
RCODE_STRINGS: Incomplete
