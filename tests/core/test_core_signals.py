# tests/core/test_core_signals.py: scenario 19 of section 5.3 of the behaviour
# reference, run in child processes: SIGINT/SIGTERM become idiokit.Signal in
# the main stream, and main_loop restores the previous handlers.
from __future__ import absolute_import, print_function

import idiokit

from support import run_py


# --- scenario 19: signals (in a child process) ---------------------------------

SIGNAL_SCRIPT = r"""
from __future__ import print_function
import os, signal, threading
import idiokit

def previous(signum, frame):
    pass

signal.signal(signal.SIGINT, previous)
signal.signal(signal.SIGTERM, previous)

@idiokit.stream
def wait_for_sigint():
    yield idiokit.sleep(0.05)
    os.kill(os.getpid(), signal.SIGINT)
    yield idiokit.sleep(30)

try:
    idiokit.main_loop(wait_for_sigint())
except idiokit.Signal as error:
    print("raised", type(error).__name__, error.signum, str(error),
          isinstance(error, Exception))
print("sigint restored", signal.getsignal(signal.SIGINT) is previous)

@idiokit.stream
def graceful():
    try:
        yield idiokit.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)
        yield idiokit.sleep(30)
    except idiokit.Signal as error:
        idiokit.stop("graceful", error.signum)

print("returned", idiokit.main_loop(graceful()))
print("sigterm restored", signal.getsignal(signal.SIGTERM) is previous)
"""


def test_signals_become_signal_exceptions_and_handlers_are_restored():
    rc, out, err = run_py(SIGNAL_SCRIPT)
    assert (rc, err) == (0, "")
    assert out.splitlines() == [
        "raised Signal 2 caught signal 2 (SIGINT) True",
        "sigint restored True",
        "returned ('graceful', 15)",
        "sigterm restored True",
    ]


IDLE_SIGINT_SCRIPT = r"""
from __future__ import print_function
import os, signal, threading
import idiokit

threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
try:
    idiokit.main_loop(idiokit.Event())
except idiokit.Signal as error:
    print("raised", error.signum)
"""


def test_sigint_while_the_loop_idles_with_no_timers():
    rc, out, err = run_py(IDLE_SIGINT_SCRIPT, timeout=20)
    assert (rc, out, err) == (0, "raised 2\n", "")


def test_signal_is_an_exception_with_signum():
    error = idiokit.Signal(15)
    assert isinstance(error, Exception)
    assert error.signum == 15
    assert str(error) == "caught signal 15 (SIGTERM)"


NO_CATCH_SCRIPT = r"""
from __future__ import print_function
import os, signal, threading
import idiokit

threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
try:
    idiokit.main_loop(idiokit.Event(), catch_signals=())
except KeyboardInterrupt:
    print("KeyboardInterrupt")
print("loop works afterwards:", idiokit.main_loop(idiokit.sleep(0.01)))
"""


def test_without_catch_signals_ctrl_c_raises_keyboard_interrupt():
    rc, out, err = run_py(NO_CATCH_SCRIPT, timeout=20)
    assert (rc, err) == (0, "")
    assert out.splitlines() == ["KeyboardInterrupt", "loop works afterwards: None"]


LEFTMOST_SCRIPT = r"""
from __future__ import print_function
import os, signal
import idiokit

class Stop(Exception):
    pass

@idiokit.stream
def throw_stop_on_signal():
    try:
        yield idiokit.consume()
    except idiokit.Signal as error:
        print("leftmost got", error.signum)
        raise Stop()

@idiokit.stream
def work():
    try:
        yield idiokit.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)
        yield idiokit.sleep(30)
    except Stop:
        idiokit.stop("stopped cleanly")

print(idiokit.main_loop(throw_stop_on_signal() | work()))
print("after:", idiokit.main_loop(idiokit.sleep(0.01)))
"""


def test_signal_goes_to_the_leftmost_stream_of_a_main_pipe():
    # abusehelper's pattern: main_loop(throw_stop_on_signal() | self._run())
    rc, out, err = run_py(LEFTMOST_SCRIPT, timeout=20)
    assert (rc, err) == (0, "")
    assert out.splitlines() == ["leftmost got 15", "stopped cleanly", "after: None"]


RESTORE_ON_ERROR_SCRIPT = r"""
from __future__ import print_function
import signal
import idiokit

def previous(signum, frame):
    pass

for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2):
    signal.signal(signum, previous)

@idiokit.stream
def failing():
    yield idiokit.sleep(0)
    raise ValueError("main failed")

try:
    idiokit.main_loop(failing())
except ValueError as error:
    print("raised", error)
print("restored", all(signal.getsignal(s) is previous for s in
      (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2)))
"""


def test_handlers_are_restored_when_main_raises():
    rc, out, err = run_py(RESTORE_ON_ERROR_SCRIPT, timeout=20)
    assert (rc, err) == (0, "")
    assert out.splitlines() == ["raised main failed", "restored True"]
