"""format_date: an RFC 7231 IMF-fixdate ("Thu, 01 Jan 1970 00:00:00 GMT")."""
from __future__ import absolute_import

import time

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_cache = [None, None]   # [whole second, its formatted date] for format_date()


def _format(ts):
    return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (
        _WEEKDAYS[ts.tm_wday], ts.tm_mday, _MONTHS[ts.tm_mon - 1], ts.tm_year,
        ts.tm_hour, ts.tm_min, ts.tm_sec)


def format_date(timestamp=None):
    """The HTTP date for `timestamp` (seconds since the epoch; now if None).

    >>> format_date(0)
    'Thu, 01 Jan 1970 00:00:00 GMT'
    """
    if timestamp is not None:
        return _format(time.gmtime(timestamp))
    second = int(time.time())
    if _cache[0] != second:
        _cache[1] = _format(time.gmtime(second))
        _cache[0] = second
    return _cache[1]
