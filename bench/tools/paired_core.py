"""bench/tools/paired_core.py: the core's micro-benchmarks (pipe, spawn_join,
sleeps) of two idiokit checkouts in paired, interleaved rounds.

    python bench/tools/paired_core.py BASE_TREE NEW_TREE [ROUNDS] [CORE]

Each TREE has idiokit/_core built in place and its .venv.  Every round runs
each case once per tree, in an order that alternates from round to round,
each run a fresh process pinned to CORE (default 1) with taskset.  Printed:
per case, the median of the per-round ratios NEW/BASE of the primary figure
(rate: higher is better; sleeps' overhead: lower is better) and the medians
of both trees; then the same for the process's CPU time (user + system,
start-up included: lower is better), which waiting for a core does not
inflate.  The machine is shared: the rounds are paired so that a burst
of load hits both sides of a ratio alike.
"""
from __future__ import print_function

import json
import os
import resource
import subprocess
import sys

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = [
    ("pipe 2-stage", "pipe", ["--n", "400000", "--stages", "2"], "rate"),
    ("pipe 4-stage", "pipe", ["--n", "200000", "--stages", "4"], "rate"),
    ("spawn+join 100k", "spawn_join", ["--n", "100000"], "rate"),
    ("sleeps 100k U(0,100ms)", "sleeps", ["--n", "100000"], "overhead"),
]


def run(tree, workload, args, core):
    env = dict(os.environ, PYTHONPATH=tree + os.pathsep + os.path.join(BENCH, "lib"))
    cmd = ["taskset", "-c", str(core), os.path.join(tree, ".venv", "bin", "python"),
           os.path.join(BENCH, "lib", "launch.py"),
           os.path.join(BENCH, "workloads", workload, "idiokit.py")] + args
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.check_output(cmd, env=env).decode()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out.strip().splitlines()[-1])
    # CPU time of the whole process (start-up included, the same on both
    # sides): waiting for a core on a loaded machine does not count in it.
    result["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2.0


def main():
    base, new = (os.path.abspath(t) for t in sys.argv[1:3])
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    core = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    for name, workload, args, key in CASES:
        got = {base: [], new: []}
        cpu = {base: [], new: []}
        for i in range(rounds):
            order = (base, new) if i % 2 == 0 else (new, base)
            for tree in order:
                result = run(tree, workload, args, core)
                got[tree].append(result[key])
                cpu[tree].append(result["cpu"])
        ratios = [n / b for n, b in zip(got[new], got[base])]
        cpu_ratios = [n / b for n, b in zip(cpu[new], cpu[base])]
        print("%-24s %s  base %.4g  new %.4g  new/base median %.3f  (rounds %s)" % (
            name, key, median(got[base]), median(got[new]), median(ratios),
            " ".join("%.3f" % r for r in ratios)))
        print("%-24s cpu s  base %.4g  new %.4g  new/base median %.3f  (rounds %s)" % (
            "", median(cpu[base]), median(cpu[new]), median(cpu_ratios),
            " ".join("%.3f" % r for r in cpu_ratios)))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
