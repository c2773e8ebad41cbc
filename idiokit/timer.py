"""Time: sleep(delay) and timeout(t, stream=None, throw=Timeout())."""
from __future__ import absolute_import

from . import _core


class Timeout(Exception):
    """Raised (thrown into a stream) by timeout()."""


# sleep(delay): an Event that succeeds after `delay` seconds (monotonic
# time).  The C function itself, so that a sleep costs no Python frame.
sleep = _core.sleep


def timeout(timeout, stream=None, throw=None):
    """Throw `throw` (a fresh Timeout by default) into `stream` after
    `timeout` seconds unless it has ended; return the stream.  With no stream,
    return an Event that raises it after `timeout` seconds."""
    if throw is None:
        throw = Timeout()
    if stream is None:
        return _core.sleep(timeout, throw)
    return _core.timeout(timeout, stream, throw)
