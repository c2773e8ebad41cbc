"""Pre-forked HTTP serving: N worker processes share one port through
SO_REUSEPORT (the kernel spreads the connections), the parent restarts a
worker that dies, and SIGTERM or SIGINT to the parent stops every worker
gracefully (requests in flight finish).

    from idiokit.http.prefork import serve_prefork
    serve_prefork(handler, "0.0.0.0", 8080, workers=4)

serve_prefork blocks in the calling (main) thread and is not a stream: run
it instead of idiokit.main_loop, before anything else uses the loop.
"""
from __future__ import absolute_import

import errno
import logging
import os
import select
import signal
import socket as stdsocket
import sys
import time

_log = logging.getLogger("idiokit.http.prefork")
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_MIN_LIFETIME = 1.0     # a worker dying sooner than this is restarted after a pause


class _Stop(Exception):
    pass


def _cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        import multiprocessing
        return multiprocessing.cpu_count()


def _reserve(host, port):
    """A bound, not listening SO_REUSEPORT socket holding the port for the
    workers (port 0 picks one); it takes no connections itself."""
    family = stdsocket.AF_INET6 if ":" in host else stdsocket.AF_INET
    sock = stdsocket.socket(family, stdsocket.SOCK_STREAM)
    sock.setsockopt(stdsocket.SOL_SOCKET, stdsocket.SO_REUSEADDR, 1)
    sock.setsockopt(stdsocket.SOL_SOCKET, stdsocket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(server, host, port, options, ready_fd):
    """The body of a worker process; never returns.  It writes one byte to
    ready_fd once it listens."""
    code = 1

    def listening(address):
        try:
            os.write(ready_fd, b".")
        except OSError:
            pass

    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)    # the parent decides
        import idiokit
        from .server import serve_http
        idiokit.main_loop(serve_http(server, host, port, reuse_port=True, on_bound=listening,
                                     **options),
                          catch_signals=(signal.SIGTERM,))
        code = 0
    except BaseException:
        _log.exception("worker %d failed", os.getpid())
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _spawn(server, host, port, options):
    """Fork a worker; options hold serve_http's keywords and ready_fd."""
    sys.stdout.flush()      # nothing buffered is written twice
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        options = dict(options)
        ready_fd = options.pop("ready_fd")
        _worker(server, host, port, options, ready_fd)
    return pid


def _wait_ready(read_fd, count, timeout=30.0):
    """Wait until `count` workers said they listen (or the timeout)."""
    deadline = time.time() + timeout
    while count > 0:
        left = deadline - time.time()
        if left <= 0 or not select.select([read_fd], [], [], left)[0]:
            _log.warning("%d worker(s) not listening after %g s", count, timeout)
            return
        count -= len(os.read(read_fd, count))


def _stop_handler(signum, frame):
    raise _Stop(signum)


def serve_prefork(server, host, port, workers=None, on_bound=None, **options):
    """Serve `server` (a handler or Server) on (host, port) from `workers`
    processes (default: the CPUs this process may run on).  Keyword
    options are those of serve_http (Limits, backlog).  on_bound(address)
    is called in the parent once the port is reserved.  Returns when a
    SIGTERM/SIGINT has stopped every worker; the previous signal handlers
    are restored."""
    workers = workers or _cpu_count()
    reserved = _reserve(host, port)
    host, port = reserved.getsockname()[:2]
    previous = [(signum, signal.signal(signum, _stop_handler)) for signum in _STOP_SIGNALS]
    children = {}
    read_fd, ready_fd = os.pipe()
    options = dict(options, ready_fd=ready_fd)
    try:
        for _ in range(workers):
            children[_spawn(server, host, port, options)] = time.time()
        _wait_ready(read_fd, workers)
        if on_bound is not None:
            on_bound((host, port))
        _supervise(children, server, host, port, options, read_fd)
    except _Stop:
        pass
    finally:
        for signum, handler in previous:
            signal.signal(signum, signal.SIG_IGN)
        _stop_all(children, options.get("shutdown_timeout", 30.0) + 5.0)
        for signum, handler in previous:
            signal.signal(signum, handler)
        reserved.close()
        os.close(read_fd)
        os.close(ready_fd)


def _supervise(children, server, host, port, options, read_fd):
    """Wait for workers; restart each that dies (until a signal)."""
    while True:
        pid, status = os.waitpid(-1, 0)
        while select.select([read_fd], [], [], 0)[0]:
            os.read(read_fd, 64)        # restarted workers' "listening" bytes
        started = children.pop(pid, None)
        if started is None:
            continue
        _log.warning("worker %d ended (status %d); starting another", pid, status)
        if time.time() - started < _MIN_LIFETIME:
            time.sleep(_MIN_LIFETIME)
        children[_spawn(server, host, port, options)] = time.time()


def _stop_all(children, timeout):
    """SIGTERM every worker and wait; SIGKILL those still alive at the end."""
    for pid in list(children):
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            children.pop(pid, None)
    deadline = time.time() + timeout
    while children and time.time() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except OSError as error:
            if error.errno == errno.ECHILD:
                break
            raise
        if pid == 0:
            time.sleep(0.05)
        else:
            children.pop(pid, None)
    for pid in list(children):
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass
