"""Builds the benchmark's C programs (bench/loadgen/*.c) into bench/out/bin/, which git ignores.

A workload names what it needs in workload.json, ``"build": [{"source": "loadgen/x.c",
"libs": ["-lev"]}]`` (paths relative to bench/); bench/run.py builds those before the
workload's cells, and a framework script that execs a C server calls ``ensure`` itself too.
A program is rebuilt only when its source is newer than the binary.
"""
import os
import subprocess

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(BENCH, "out", "bin")
CFLAGS = ["-O2", "-Wall", "-Wextra"]


def path(source):
    """Where the binary of bench/<source> goes."""
    return os.path.join(BIN, os.path.splitext(os.path.basename(source))[0])


def ensure(source, libs=()):
    """Build bench/<source> if needed; returns the binary's path. Raises RuntimeError with the
    compiler's message on failure."""
    src = os.path.join(BENCH, source)
    out = path(source)
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(src):
        return out
    if not os.path.isdir(BIN):
        os.makedirs(BIN)
    cc = os.environ.get("CC", "cc")
    tmp = out + ".tmp%d" % os.getpid()
    proc = subprocess.Popen([cc] + CFLAGS + ["-o", tmp, src] + list(libs),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text = proc.communicate()[0].decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RuntimeError("building %s failed: %s" % (source, text.strip()))
    os.rename(tmp, out)
    return out


def build_all(specs):
    """Build every {"source": ..., "libs": [...]} of a workload; returns a list of errors."""
    errors = []
    for spec in specs:
        try:
            ensure(spec["source"], spec.get("libs", ()))
        except (RuntimeError, OSError) as exc:
            errors.append(str(exc))
    return errors
