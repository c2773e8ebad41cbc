"""asyncoro's Logger and its module-level `logger`: a small logger that
writes "YYYY-mm-dd HH:MM:SS name - message" lines to a stream (standard
output by default), with asyncoro's levels and setLevel.  It does not go
through the logging module, so an asyncoro program's
`asyncoro.logger.setLevel(logging.DEBUG)` changes nothing else in the
process (the logging levels have the same numbers)."""
from __future__ import absolute_import

import sys
import threading
import time


class Logger(object):
    """Logger(name, stream=None, level=None, log_ms=False): stream None
    means sys.stdout at each write; level None means INFO."""

    DEBUG = 10
    INFO = 20
    WARN = WARNING = 30
    ERROR = 40
    CRITICAL = FATAL = 50

    def __init__(self, name, stream=None, level=None, log_ms=False):
        self.name = name
        self.stream = stream
        self.level = level if level else Logger.INFO
        self.log_ms = bool(log_ms)
        self._lock = threading.Lock()

    def setLevel(self, level):
        """Messages below `level` are dropped from now on."""
        self.level = level

    def show_ms(self, flag):
        """Show milliseconds in the timestamps."""
        self.log_ms = bool(flag)

    def log(self, message, *args):
        """Write one line, whatever the level."""
        if args:
            message = message % args
        now = time.time()
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
        if self.log_ms:
            stamp += ".%03d" % int(1000 * (now - int(now)))
        line = "%s %s - %s\n" % (stamp, self.name, message)
        stream = self.stream if self.stream is not None else sys.stdout
        with self._lock:
            stream.write(line)

    def _at(level, name):
        def method(self, message, *args):
            if self.level <= level:
                self.log(message, *args)
        method.__doc__ = "Write message %% args if the level is %s or lower." % name
        return method

    debug = _at(DEBUG, "DEBUG")
    info = _at(INFO, "INFO")
    warning = warn = _at(WARNING, "WARNING")
    error = _at(ERROR, "ERROR")
    critical = fatal = _at(CRITICAL, "CRITICAL")
    del _at

    def flush(self):
        """Flush the stream (shutdown is the same)."""
        (self.stream if self.stream is not None else sys.stdout).flush()

    shutdown = flush

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.shutdown()


logger = Logger("asyncoro")
