# tests/reliability/test_reliability_checklist.py: items of the reliability checklist
# (../shared/reference/reliability-checklist.md) that no other file covered:
# T1 a wake-up storm from four threads, S4 clean interpreter exit with work
# pending, S2 a user's raising signal handler and wake-up fd, L4 no reference
# cycles in normal socket work.  tests/README.md maps every item.
from __future__ import absolute_import

import gc
import threading

import pytest

import idiokit
from idiokit import socket

from support.procs import run_py
from support.peers import tcp_pair
from support.util import run


def test_wake_up_storm_from_four_threads_runs_every_completion_exactly_once():
    """T1: 4 threads each complete 25,000 events while the loop has nothing
    else to do; every value arrives once, and the loop does not return
    before the last."""
    per_thread = 25000
    events = [[idiokit.Event() for _ in range(per_thread)] for _ in range(4)]

    def complete(index):
        for number, event in enumerate(events[index]):
            event.succeed(index, number)

    @idiokit.stream
    def main():
        threads = [threading.Thread(target=complete, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        seen = 0
        for index in range(4):
            for number, event in enumerate(events[index]):
                got = yield event
                assert got == (index, number)
                seen += 1
        for thread in threads:
            thread.join()
        idiokit.stop(seen)

    assert run(main()) == 4 * per_thread


EXIT_WITH_WORK_PENDING = r"""
import os, sys, threading, time
import idiokit
from idiokit import socket

@idiokit.stream
def forever():
    yield idiokit.sleep(3600)

@idiokit.stream
def main():
    forever()                                   # a task left pending
    sock = socket.Socket()                      # a socket left open
    yield sock.bind(("127.0.0.1", 0))
    idiokit.sleep(60)                           # a timer left armed
    idiokit.thread(time.sleep, 0.5)             # a pool job still running
    yield idiokit.sleep(0.05)
    idiokit.stop(sock)

kept = idiokit.main_loop(main(), catch_signals=())
%s
"""


@pytest.mark.parametrize("ending, code", [
    ("", 0),                                                    # return from __main__
    ("sys.exit(3)", 3),
    ("t = threading.Thread(target=idiokit.main_loop, args=(idiokit.sleep(30),), "
     "kwargs={'catch_signals': ()}); t.daemon = True; t.start(); time.sleep(0.1)", 0),
])
def test_exit_with_tasks_sockets_timers_and_threads_pending_is_clean(ending, code):
    """S4: exit code as asked, nothing on stderr but the ResourceWarning
    machinery's silence (warnings are off by default), no crash."""
    rc, out, err = run_py(EXIT_WITH_WORK_PENDING % ending, timeout=30)
    assert rc == code, err
    assert "Fatal Python error" not in err and "Segmentation" not in err, err
    assert "Traceback" not in err, err


def test_exit_right_after_a_thread_call_prints_nothing():
    """S4: a program that exits while a pool worker idles (just after an
    idiokit.thread call) exits silently.  On Python 2 the interpreter's
    teardown used to kill that worker in Condition.wait with a traceback on
    stderr, in about one run of six (found by tests/docs); 20 runs."""
    for _ in range(20):
        rc, out, err = run_py(r"""
            import idiokit
            @idiokit.stream
            def main():
                yield idiokit.thread(lambda: None)
            idiokit.main_loop(main(), catch_signals=())
        """, timeout=30)
        assert rc == 0 and err == "", err


def test_exit_from_inside_a_task_with_sys_exit():
    rc, out, err = run_py(r"""
        import sys
        import idiokit
        @idiokit.stream
        def main():
            yield idiokit.sleep(0)
            sys.exit(5)
        idiokit.main_loop(main(), catch_signals=())
    """, timeout=30)
    assert rc == 5, err
    assert "Fatal Python error" not in err, err


def test_a_raising_user_signal_handler_and_wakeup_fd_are_good_neighbours():
    """S2: the user's SIGHUP handler raises while main_loop runs (SIGHUP is
    not in its catch_signals); the exception reaches main_loop's caller, and
    the user's handler and wake-up fd are as they were afterwards."""
    rc, out, err = run_py(r"""
        import os, signal, socket, threading
        import idiokit

        class Hangup(Exception):
            pass

        def on_hup(signum, frame):
            raise Hangup()

        signal.signal(signal.SIGHUP, on_hup)
        a, b = socket.socketpair()
        a.setblocking(False)
        signal.set_wakeup_fd(a.fileno())
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGHUP)).start()
        try:
            idiokit.main_loop(idiokit.sleep(10), catch_signals=(signal.SIGINT,))
            print("no exception")
        except Hangup:
            print("hangup reached the caller")
        print("handler kept" if signal.getsignal(signal.SIGHUP) is on_hup else "handler lost")
        print("wakeup fd kept" if signal.set_wakeup_fd(-1) == a.fileno() else "wakeup fd lost")
    """, timeout=30)
    assert rc == 0, err
    assert out.split("\n")[:3] == ["hangup reached the caller", "handler kept", "wakeup fd kept"], \
        (out, err)


def test_normal_socket_work_makes_no_reference_cycles():
    """L4: with the collector off, one echo exchange, one refused connect
    and their teardown leave nothing that only the collector could free."""
    @idiokit.stream
    def work():
        a, b = yield tcp_pair()
        yield a.sendall(b"ping")
        assert (yield b.recv(4, timeout=5)) == b"ping"
        yield a.close()
        yield b.close()
        lone = socket.Socket()
        yield lone.bind(("127.0.0.1", 0))
        address = yield lone.getsockname()
        yield lone.close()
        refused = socket.Socket()
        try:
            yield refused.connect(address, timeout=5)
        except socket.SocketError:
            pass
        yield refused.close()

    run(work())                 # warm: first-use caches
    gc.collect()
    gc.disable()
    old_flags = gc.get_debug()
    try:
        gc.set_debug(gc.DEBUG_SAVEALL)
        run(work())
        gc.collect()
        cyclic = [type(obj) for obj in gc.garbage
                  if type(obj).__module__.startswith("idiokit")
                  or "idiokit" in repr(getattr(obj, "f_code", ""))]
    finally:
        gc.set_debug(old_flags)
        del gc.garbage[:]
        gc.enable()
    assert cyclic == []
