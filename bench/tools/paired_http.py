#!/usr/bin/env python3
"""bench/tools/paired_http.py: paired, interleaved rounds of an HTTP workload (http_hello or
http_dns) for one or two idiokit trees and the peers, with the server's CPU time per request
(user and system apart) next to the rate.

    bench/.venv/bin/python bench/tools/paired_http.py --workload http_hello \\
        --tree new=/path/to/checkout [--tree base=/path/to/base] \\
        [--peers uvloop_httptools,c_libev] [--rounds 7] [--seconds 3]

A tree is a checkout with its extension built in place for the bench interpreter (make
build). Each round runs every server once, one after the other, so the runs of one round
are neighbours in time on a shared machine: the server pinned to core 1 (--cpu), wrk to core
0 (--client-cpu), a 1 s warm-up, then --seconds measured. Prints one JSON line per run, then
per server the median rate, p50/p90/p99 and CPU microseconds per request, and for each tree
the median of its per-round ratios to every other server (the steadier reading when the
machine's speed drifts) next to the ratio of the medians.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(BENCH, "lib"))
TICK = os.sysconf("SC_CLK_TCK")
PATHS = {"http_hello": "/", "http_dns": "/host3.bench.test"}


def median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2.0


def cpu_ticks(pid):
    """(user, system) ticks of pid so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def micros(text):
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    return float(m.group(1)) * {"us": 1.0, "ms": 1000.0, "s": 1e6}[m.group(2)]


def wrk(port, path, conns, seconds, cpu):
    cmd = ["wrk", "-t1", "-c%d" % conns, "-d%ds" % seconds, "--latency",
           "http://127.0.0.1:%d%s" % (port, path)]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu)] + cmd
    out = subprocess.check_output(cmd).decode()
    if "Socket errors" in out or "Non-2xx" in out:
        raise RuntimeError("wrk reported errors:\n" + out)
    result = {"requests": int(re.search(r"(\d+) requests in", out).group(1)),
              "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in (50, 90, 99):
        result["p%d_us" % pct] = micros(re.search(r"^\s+%d%%\s+(\S+)" % pct, out, re.M).group(1))
    return result


def start_server(workload, framework, tree, cpu):
    env = dict(os.environ)
    if tree:
        env["PYTHONPATH"] = tree
    script = os.path.join(BENCH, "workloads", workload, framework + ".py")
    cmd = [sys.executable, os.path.join(BENCH, "lib", "launch.py"), script]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu)] + cmd
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env, cwd=os.path.join(BENCH, "lib"))
    line = proc.stdout.readline()
    try:
        ready = json.loads(line.decode())
        port = ready["port"]
    except (ValueError, KeyError):
        proc.kill()
        raise RuntimeError("%s/%s did not start: %r" % (workload, framework, line))
    return proc, port, ready.get("pid", proc.pid)   # a child that serves names its pid


def one_run(args, who, framework, tree):
    proc, port, serving = start_server(args.workload, framework, tree, args.cpu)
    try:
        wrk(port, args.path, args.conns, 1, args.client_cpu)
        u0, s0 = cpu_ticks(serving)
        result = wrk(port, args.path, args.conns, args.seconds, args.client_cpu)
        u1, s1 = cpu_ticks(serving)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    n = float(result["requests"])
    result["user_us"] = round((u1 - u0) * 1e6 / TICK / n, 2)
    result["sys_us"] = round((s1 - s0) * 1e6 / TICK / n, 2)
    result["cpu_us"] = round(result["user_us"] + result["sys_us"], 2)
    result["who"] = who
    return result


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workload", default="http_hello", choices=sorted(PATHS))
    p.add_argument("--tree", action="append", default=[], metavar="NAME=PATH",
                   help="an idiokit checkout to run as NAME (repeat; default: this one)")
    p.add_argument("--peers", default="uvloop_httptools,c_libev")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--seconds", type=int, default=3)
    p.add_argument("--conns", type=int, default=100)
    p.add_argument("--cpu", type=int, default=1)
    p.add_argument("--client-cpu", type=int, default=0)
    args = p.parse_args(argv)
    args.trees = [t.split("=", 1) for t in args.tree] or [["idiokit", os.path.dirname(BENCH)]]
    args.peers = [name for name in args.peers.split(",") if name]
    args.path = PATHS[args.workload]
    return args


def summary(args, runs):
    names = [name for name, _ in args.trees] + args.peers
    print("\n%s, %d conns, %d rounds of %d s (medians; shared machine)"
          % (args.workload, args.conns, args.rounds, args.seconds))
    print("%-18s %9s %8s %8s %8s %8s %8s %8s" % ("server", "req/s", "p50 us", "p90 us", "p99 us",
                                                 "cpu us", "user us", "sys us"))
    for name in names:
        mine = [r for r in runs if r["who"] == name]
        print("%-18s %9.0f %8.0f %8.0f %8.0f %8.2f %8.2f %8.2f" % tuple(
            [name] + [median([r[k] for r in mine]) for k in
                      ("rate", "p50_us", "p90_us", "p99_us", "cpu_us", "user_us", "sys_us")]))
    for name, _ in args.trees:
        for other in names:
            if other == name:
                continue
            per_round = [a["rate"] / b["rate"] for a, b in zip(
                [r for r in runs if r["who"] == name], [r for r in runs if r["who"] == other])]
            of_medians = median([r["rate"] for r in runs if r["who"] == name]) / \
                median([r["rate"] for r in runs if r["who"] == other])
            cpu = median([r["cpu_us"] for r in runs if r["who"] == other]) / \
                median([r["cpu_us"] for r in runs if r["who"] == name])
            print("%s vs %s: %.2fx per round (median of %d), %.2fx of the medians; CPU per "
                  "request %.2fx" % (name, other, median(per_round), len(per_round),
                                     of_medians, cpu))


def main(argv):
    args = parse_args(argv)
    runs = []
    for rnd in range(1, args.rounds + 1):
        for name, tree in args.trees:
            runs.append(one_run(args, name, "idiokit", tree))
            print(json.dumps(dict(runs[-1], round=rnd)))
            sys.stdout.flush()
        for peer in args.peers:
            runs.append(one_run(args, peer, peer, None))
            print(json.dumps(dict(runs[-1], round=rnd)))
            sys.stdout.flush()
        time.sleep(0.2)
    summary(args, runs)


if __name__ == "__main__":
    main(sys.argv[1:])
