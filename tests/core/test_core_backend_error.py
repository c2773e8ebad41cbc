# tests/core/test_core_backend_error.py: when the loop's poll syscall fails (here:
# the user closed libev's epoll fd), main_loop raises OSError instead of libev
# aborting the process (reliability: bad input never crashes).  Run in a
# subprocess: the loop of that process is broken afterwards.  (A socket
# watcher started after such a close still trips libev's own assertion in
# epoll_ctl; libev gives no way around that, see docs/internals.rst.)
from __future__ import absolute_import

from support.procs import run_py

CLOSE_BACKEND_SCRIPT = r"""
from __future__ import print_function
import errno, os
import idiokit

idiokit.main_loop(idiokit.sleep(0.01), catch_signals=())   # the loop has polled


def link(name):
    try:
        return os.readlink(os.path.join("/proc/self/fd", name))
    except OSError:     # listdir's own fd, closed by now
        return None

backend = [int(name) for name in os.listdir("/proc/self/fd")
           if link(name) == "anon_inode:[eventpoll]"]
print("backends", len(backend))
os.close(backend[0])
try:
    idiokit.main_loop(idiokit.sleep(0.05))
except OSError as error:
    print("raised", error.errno == errno.EBADF, "epoll_wait" in str(error))
try:
    idiokit.main_loop(idiokit.sleep(0.05))
except OSError as error:
    print("again", error.errno == errno.EBADF)
"""


def test_a_failing_poll_raises_oserror_instead_of_aborting():
    rc, out, err = run_py(CLOSE_BACKEND_SCRIPT, timeout=30)
    assert rc == 0, (rc, out, err)
    assert out.splitlines() == ["backends 1", "raised True True", "again True"], out + err
