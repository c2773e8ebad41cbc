"""Helpers shared by every workload script (bench/workloads/*/*.py).

Owns the per-script conventions: how a script reads its parameters (``--name value`` pairs,
typed by the defaults the script declares), how it measures resident memory, and how it
reports: exactly one JSON object on the last line of stdout. Kept Python 2.7 compatible so
the idiokit scripts can also run on 2.7. Nothing framework-specific lives here.
"""
from __future__ import print_function

import gc
import json
import os
import sys
import time

try:
    clock = time.perf_counter
except AttributeError:  # Python 2.7
    clock = time.time

_PAGE = os.sysconf("SC_PAGE_SIZE")


def params(**defaults):
    """Parse ``--key value`` pairs from sys.argv; values take the type of their default."""
    out = dict(defaults)
    argv = sys.argv[1:]
    if len(argv) % 2:
        sys.exit("usage: %s [--name value]... (known: %s)" % (sys.argv[0], ", ".join(sorted(defaults))))
    for flag, raw in zip(argv[::2], argv[1::2]):
        key = flag.lstrip("-").replace("-", "_")
        if not flag.startswith("--") or key not in defaults:
            sys.exit("unknown option %s (known: %s)" % (flag, ", ".join(sorted(defaults))))
        kind = type(defaults[key])
        out[key] = kind(float(raw)) if kind is int else kind(raw)
    return out


def rss_bytes():
    """Resident set size of this process, from /proc/self/statm."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def settled_rss():
    """RSS after a full garbage collection."""
    gc.collect()
    gc.collect()
    return rss_bytes()


def percentile(values, q):
    """The q-th percentile (0..100) of a list of numbers, nearest-rank."""
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(q / 100.0 * len(ordered))) - 1))
    return ordered[index]


def emit(**measurements):
    """Print the one JSON line the runner reads, and flush."""
    sys.stdout.write(json.dumps(measurements, sort_keys=True) + "\n")
    sys.stdout.flush()


def load_sibling(script_file, name):
    """Run a sibling script of the same workload as a module (not as __main__) and return
    its globals. uvloop's scripts use this to reuse the asyncio script's code unchanged."""
    import runpy
    path = os.path.join(os.path.dirname(os.path.abspath(script_file)), name)
    return runpy.run_path(path, run_name="bench_sibling")
