#!/usr/bin/env python3
"""bench/run.py: runs the benchmark cells and writes bench/RESULTS.md.

Owns the command line and the plan: every workload under bench/workloads/ (see bench/README.md)
times each case times each framework, every cell in a fresh process pinned to one core, the
runs of a case round-robin over the frameworks, a per-key median per cell. The numbers the
report is rendered from are kept next to it (bench/results.json, committed with RESULTS.md, so
a fresh checkout has them); each run's own also go to bench/out/results-STAMP.json. A later
partial run (--only, --case, --frameworks) replaces just the cells it ran. No argument is required; `make bench` runs it in bench/.venv.
"""
import argparse
import datetime
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
sys.path.insert(0, HERE)

import cbuild  # noqa: E402
import cells  # noqa: E402
import charts  # noqa: E402  (bench/charts.py)
import discover  # noqa: E402
import probe  # noqa: E402
import report  # noqa: E402
import report_rst  # noqa: E402


def parse_args(argv):
    venv_python = os.path.join(HERE, ".venv", "bin", "python")
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="one run per cell (default: --runs)")
    p.add_argument("--runs", type=int, default=5, help="runs per cell; the median is reported (default 5)")
    p.add_argument("--only", action="append", default=[], metavar="WORKLOAD",
                   help="run only this workload (folder name; repeat or comma-separate)")
    p.add_argument("--case", action="append", default=[], dest="cases", metavar="NAME",
                   help="run only this case of the workloads (its name, e.g. '1 KiB x 10 conns'; "
                        "repeat for more); the other cases keep their earlier results")
    p.add_argument("--frameworks", default="", help="comma-separated frameworks to run (default: all)")
    p.add_argument("--python", default=venv_python if os.path.exists(venv_python) else sys.executable,
                   help="interpreter for the cells (default: bench/.venv/bin/python if it exists)")
    p.add_argument("--cpu", type=int, default=1, help="core the measured process is pinned to (default 1)")
    p.add_argument("--client-cpu", type=int, default=0, help="core for a load generator (default 0)")
    p.add_argument("--no-pin", action="store_true", help="do not use taskset")
    p.add_argument("--workloads", default=os.path.join(HERE, "workloads"), help=argparse.SUPPRESS)
    p.add_argument("--out", default=os.path.join(HERE, "out"), help="raw results folder (default bench/out)")
    p.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"), help="markdown report to write")
    p.add_argument("--report-only", action="store_true",
                   help="measure nothing: re-render the report and redraw the charts from results.json "
                        "(beside RESULTS.md)")
    p.add_argument("--charts", default=charts.DEFAULT_OUT,
                   help="folder of the PNG charts (default docs/_static/bench; see bench/charts.py)")
    args = p.parse_args(argv)
    args.only = [n for item in args.only for n in item.split(",") if n]
    args.frameworks = [n for n in args.frameworks.split(",") if n]
    if args.quick:
        args.runs = 1
    if args.runs < 1:
        p.error("--runs must be at least 1")
    return args


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def data_file(args):
    """bench/results.json: the merged numbers RESULTS.md shows, beside it."""
    return os.path.join(os.path.dirname(os.path.abspath(args.results)), "results.json")


def load_previous(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (IOError, OSError, ValueError):
        return None


def run_workload(w, args, availability, cwd, now):
    """Measure one workload; returns its results record."""
    cpu = None if args.no_pin else args.cpu
    client_cpu = None if args.no_pin else args.client_cpu
    record = {"name": w.name, "title": w.title, "issue": w.issue, "description": w.description,
              "primary": w.primary, "columns": w.columns, "original": w.original, "targets": w.targets,
              "measured": now, "runs": args.runs, "cases": []}
    if w.meta.get("peers"):
        record["peers"] = w.meta["peers"]
    for error in cbuild.build_all(w.meta.get("build", [])):
        log("  %s: %s" % (w.name, error))  # its cells then fail with the missing program
    for case in w.cases:
        plan, results = {}, {}
        for framework in w.frameworks():
            script, cargs, note, missing = w.cell_plan(case, framework)
            cell = {"args": cargs, "note": note, "measured": now}
            if (args.frameworks and framework not in args.frameworks) or \
                    (args.cases and case["name"] not in args.cases):
                cell.update(status="not run", reason="not selected in this run")
            elif missing:
                cell.update(status="no equivalent" if framework in w.overrides else "missing", reason=missing)
            elif not availability[framework]["available"]:
                cell.update(status="unavailable", reason=availability[framework]["reason"])
            else:
                cell.update(status="pending", runs=[], rounds=[], errors=[])
                plan[framework] = script
            results[framework] = cell
        for run in range(args.runs):
            for framework, script in plan.items():
                cell = results[framework]
                if cell["errors"] and not cell["runs"]:
                    continue  # failed on its first run: do not repeat it
                if w.server:
                    outcome = cells.run_server(args.python, script, cell["args"],
                                               os.path.join(w.path, w.server["client"]),
                                               dict(case.get("client_args", {})), cpu, client_cpu,
                                               w.timeout, cwd, float(w.server.get("ready_timeout", 15)),
                                               case.get("server_env"))
                else:
                    outcome = cells.run_plain(args.python, script, cell["args"], cpu, w.timeout, cwd)
                if outcome["ok"]:
                    cell["runs"].append(outcome["data"])
                    cell["rounds"].append(run)   # pairs runs of one round (report.paired_ratio)
                    shown = report.fmt(outcome["data"].get(w.primary["key"]), w.primary.get("fmt"))
                    log("  %s / %s / %s, run %d/%d: %s %s" % (w.name, case["name"], framework, run + 1,
                                                            args.runs, shown, w.primary["label"]))
                else:
                    cell["errors"].append(outcome["error"])
                    log("  %s / %s / %s, run %d/%d: FAILED: %s" % (w.name, case["name"], framework,
                                                                 run + 1, args.runs, outcome["error"]))
        for framework in plan:
            cell = results[framework]
            cell["runs_wanted"] = args.runs
            cell["runs_ok"] = len(cell["runs"])
            if cell["runs"]:
                cell["status"] = "ok"
                cell["median"] = cells.median_record(cell["runs"])
            else:
                cell["status"] = "failed"
                cell["reason"] = cell["errors"][0]
        record["cases"].append({"name": case["name"], "args": dict(case.get("args", {})), "cells": results})
    return record


def merge(previous, fresh):
    """Cells not run now ("not run") keep their previous result, if there was one."""
    if not previous:
        return fresh
    old_workloads = dict((w["name"], w) for w in previous.get("workloads", []))
    for w in fresh["workloads"]:
        old = old_workloads.get(w["name"])
        if not old:
            continue
        old_cases = dict((c["name"], c) for c in old["cases"])
        for case in w["cases"]:
            for framework, cell in case["cells"].items():
                kept = old_cases.get(case["name"], {}).get("cells", {}).get(framework)
                if cell["status"] == "not run" and kept and kept["status"] != "not run":
                    kept = dict(kept)
                    kept.setdefault("carried_from", kept.get("measured", "earlier"))
                    case["cells"][framework] = kept
    fresh_names = set(w["name"] for w in fresh["workloads"])
    kept_workloads = [w for w in previous.get("workloads", []) if w["name"] not in fresh_names]
    fresh["workloads"] = sorted(kept_workloads + fresh["workloads"], key=lambda w: w.get("order", 0))
    for name, info in previous.get("frameworks", {}).items():
        fresh["frameworks"].setdefault(name, info)
    return fresh


def write_outputs(results, args):
    drawn = charts.draw_all(results, args.charts)
    summary = os.path.join(args.charts, "summary.png")
    chart_path = None
    if summary in drawn:
        chart_path = os.path.relpath(summary, os.path.dirname(os.path.abspath(args.results)))
    text = report.render(results, chart_path)
    with open(args.results, "w") as f:
        f.write(text + "\n")
    if not os.path.isdir(args.charts):
        os.makedirs(args.charts)
    with open(os.path.join(args.charts, "ratios.inc"), "w") as f:
        f.write(report_rst.render(results))    # the tables docs/benchmarks.rst includes
    log("wrote %s%s" % (args.results, " and %d chart(s) in %s" % (len(drawn), args.charts) if drawn
                        else " (no charts: matplotlib missing or nothing to draw)"))


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)  # before the cells run
    if args.report_only:
        results = load_previous(data_file(args))
        if not results:
            raise SystemExit("no %s to report from" % data_file(args))
        write_outputs(results, args)
        return 0
    cwd = os.path.join(args.out, "cwd")  # an empty folder: nothing importable by accident
    os.makedirs(cwd, exist_ok=True)
    if not args.no_pin and cells._TASKSET is None:
        log("warning: taskset not found; cells run unpinned")
        args.no_pin = True
    workloads = discover.load_workloads(args.workloads, args.only)
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    install_status = probe.read_install_status(args.python)
    needed = []
    for w in workloads:
        for framework in w.frameworks():
            if framework not in needed and (not args.frameworks or framework in args.frameworks):
                needed.append(framework)
    availability = {}
    for framework in needed:
        availability[framework] = probe.probe_framework(args.python, framework, cwd, install_status)
        info = availability[framework]
        log("%-14s %s" % (framework, info["version"] if info["available"] else "UNAVAILABLE: " + info["reason"]))
    for framework in discover.KNOWN_FRAMEWORKS:  # so "not run" cells still have a row
        availability.setdefault(framework, {"available": True, "version": "-", "reason": None})
    results = {
        "generated": now, "machine": probe.machine(), "python": args.python,
        "python_version": probe.python_version(args.python),
        "idiokit_source": probe.idiokit_source(args.python, install_status),
        "cpu": None if args.no_pin else args.cpu, "client_cpu": None if args.no_pin else args.client_cpu,
        "frameworks": dict((f, availability[f]) for f in needed), "workloads": [],
    }
    for w in workloads:
        log("%s (%d case(s), %d run(s) per cell)" % (w.name, len(w.cases), args.runs))
        record = run_workload(w, args, availability, cwd, now)
        record["order"] = w.order
        results["workloads"].append(record)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    with open(os.path.join(args.out, "results-%s.json" % stamp), "w") as f:
        json.dump(results, f, indent=1)
    results = merge(load_previous(data_file(args)), results)
    with open(data_file(args), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
        f.write("\n")
    write_outputs(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
