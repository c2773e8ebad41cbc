"""bench/tools/paired_asyncoro.py: idiokit.asyncoro against uvloop and pycos on the
coroutine workloads (spawn_join, sleeps, pipe, sleep0_loop, idle_memory), in paired,
interleaved rounds, with idiokit taken from a checkout rather than bench/.venv.

    bench/.venv/bin/python bench/tools/paired_asyncoro.py [--tree TREE] [--rounds N]
                                                          [--only CASE,...] [--core C]

TREE (default: this checkout) has idiokit/_core built in place for bench/.venv's Python.
Every round runs each case once per framework, in an order that rotates from round to
round, each run a fresh process pinned to core C (default 1) with taskset.  Printed per
case: the median of each framework's figure, and the median of the per-round ratios of
idiokit_asyncoro against uvloop and pycos ("times better": above 1, idiokit.asyncoro is
better).  pycos runs spawn_join and the 100k sleeps at N=10,000 as the workloads'
workload.json say (its scheduler round is O(ready tasks)): not like for like, and in
pycos's favour; the 10k cases run every framework at N=10,000.  The machine may be shared: the rounds are paired so that a burst of load
hits every side of a ratio alike.
"""
from __future__ import print_function

import argparse
import json
import os
import subprocess
import sys

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(BENCH)
FRAMEWORKS = ["idiokit_asyncoro", "uvloop", "pycos"]
# name, workload, args, key, better, per-framework args
CASES = [
    ("spawn_join 100k", "spawn_join", ["--n", "100000"], "rate", "higher",
     {"pycos": ["--n", "10000"]}),
    ("sleeps 100k U(0,100ms)", "sleeps", ["--n", "100000"], "overhead", "lower",
     {"pycos": ["--n", "10000"]}),
    ("sleeps 10k U(0,100ms)", "sleeps", ["--n", "10000"], "overhead", "lower", {}),
    ("spawn_join 10k", "spawn_join", ["--n", "10000"], "rate", "higher", {}),
    ("sleeps 10k of 0.5s", "sleeps", ["--n", "10000", "--low", "0.5", "--high", "0.5"],
     "overhead", "lower", {}),
    ("pipe 2-stage", "pipe", ["--n", "100000", "--stages", "2"], "rate", "higher", {}),
    ("pipe 4-stage", "pipe", ["--n", "100000", "--stages", "4"], "rate", "higher", {}),
    ("sleep0_loop", "sleep0_loop", ["--seconds", "1.0"], "rate", "higher", {}),
    ("idle_memory 100k", "idle_memory", ["--n", "100000"], "bytes_per_task", "lower", {}),
]


def run(tree, framework, workload, args, core):
    env = dict(os.environ)
    paths = [os.path.join(BENCH, "lib")]
    if framework.startswith("idiokit"):
        paths.insert(0, tree)
    env["PYTHONPATH"] = os.pathsep.join(paths)
    cmd = ["taskset", "-c", str(core), sys.executable, os.path.join(BENCH, "lib", "launch.py"),
           os.path.join(BENCH, "workloads", workload, framework + ".py")] + args
    out = subprocess.check_output(cmd, env=env).decode()
    return json.loads(out.strip().splitlines()[-1])


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2.0


def better_ratio(ours, theirs, better):
    """How many times better ours is (above 1: better)."""
    if better == "higher":
        return ours / theirs
    return theirs / ours if ours > 0 else float("inf")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", default=ROOT)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default="")
    parser.add_argument("--core", type=int, default=1)
    opts = parser.parse_args()
    tree = os.path.abspath(opts.tree)
    only = [s for s in opts.only.split(",") if s]
    for name, workload, args, key, better, per in CASES:
        if only and not any(o in name for o in only):
            continue
        got = dict((fw, []) for fw in FRAMEWORKS)
        for r in range(opts.rounds):
            order = FRAMEWORKS[r % len(FRAMEWORKS):] + FRAMEWORKS[:r % len(FRAMEWORKS)]
            for fw in order:
                got[fw].append(run(tree, fw, workload, per.get(fw, args), opts.core)[key])
        ours = got["idiokit_asyncoro"]
        line = ["%-24s" % name]
        for fw in FRAMEWORKS:
            line.append("%s %.4g" % (fw, median(got[fw])))
        for peer in ("uvloop", "pycos"):
            ratios = [better_ratio(a, b, better) for a, b in zip(ours, got[peer])]
            line.append("vs %s %.2fx (per round %.2fx)" % (
                peer, better_ratio(median(ours), median(got[peer]), better), median(ratios)))
        print(" | ".join(line))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
