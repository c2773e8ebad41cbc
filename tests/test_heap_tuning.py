# tests/test_heap_tuning.py: src/heap.c's one process-wide setting. At the
# first recv of 8 KiB or more, idiokit raises glibc's malloc thresholds
# (blocks under 32 MiB from the heap, trim past 64 MiB); not before, not when
# the user set thresholds, not with IDIOKIT_HEAP_TUNING=0. Each case runs in a
# child process, which asks glibc itself whether a 512 KiB and then an 8 MiB
# malloc come from the brk heap or from mmaps of their own: glibc's defaults map
# both (its mmap threshold starts at 128 KiB), idiokit's 32 MiB puts both on
# the heap. The probe runs once per process, smaller block first, since
# freeing a mapped block moves glibc's own threshold up to its size.
from __future__ import absolute_import

import os
import platform

import pytest

from support.procs import run_py

pytestmark = [
    pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                       reason="the thresholds are glibc's"),
    # `make test-asan` preloads the sanitizer, whose malloc ignores them.
    pytest.mark.skipif(bool(os.environ.get("LD_PRELOAD")),
                       reason="malloc replaced through LD_PRELOAD"),
]

CHILD = """
    import ctypes, sys
    import idiokit
    from support.peers import tcp_pair

    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.sbrk.restype = ctypes.c_void_p
    libc.sbrk.argtypes = [ctypes.c_ssize_t]

    def where(size):
        block = libc.malloc(size)
        top = libc.sbrk(0)
        libc.free(block)
        return "heap" if block < top else "mmap"

    @idiokit.stream
    def echo_rounds(size, rounds):
        a, b = yield tcp_pair()
        for _ in range(rounds):
            yield b.sendall(b"x" * size)
            got = 0
            while got < size:
                got += len((yield a.recv(262144, timeout=10)))
        yield a.close()
        yield b.close()

    size = int(sys.argv[1])
    idiokit.main_loop(echo_rounds(size, 5))
    sys.stdout.write("%s %s\\n" % (where(512 << 10), where(8 << 20)))
"""


def probe(size, env=None):
    rc, out, err = run_py(CHILD, env=env, args=[str(size)])
    assert rc == 0, err
    return out.strip()


def test_large_reads_raise_the_thresholds():
    assert probe(65536) == "heap heap"


def test_reads_of_10_kib_raise_them_too():
    # Through the predicted and scratch-buffer reads, not the FIONREAD-sized one.
    assert probe(10240) == "heap heap"


def test_the_opt_out_leaves_glibc_defaults():
    assert probe(65536, env={"IDIOKIT_HEAP_TUNING": "0"}) == "mmap mmap"


def test_small_reads_leave_glibc_defaults():
    assert probe(4096) == "mmap mmap"


def test_user_thresholds_are_kept():
    # The user's 1 MiB mmap threshold puts the 512 KiB block on the heap and
    # maps the 8 MiB one; idiokit's would put both on the heap.
    tunables = {"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=1048576"}
    assert probe(65536, env=tunables) == "heap mmap"
    # Setting the trim threshold freezes glibc's mmap threshold at 128 KiB.
    assert probe(65536, env={"MALLOC_TRIM_THRESHOLD_": "262144"}) == "mmap mmap"
