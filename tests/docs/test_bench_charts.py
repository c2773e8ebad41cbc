"""tests/docs/test_bench_charts.py: the benchmark page shows what bench/results.json holds.

docs/benchmarks.rst includes docs/_static/bench/ratios.inc and shows the PNGs beside it, all
written by bench/run.py (bench/lib/report_rst.py, bench/charts.py) from bench/results.json.
These tests check that the committed tables are the ones the committed results give (a run
that forgot to commit them, or a hand edit, fails), that every workload has its chart, and
the ratio rules the charts and tables share: "times better than" whichever way the metric
points, cells run with other parameters than their case left out. Matplotlib is not needed:
the drawing itself is bench/charts.py's, and `make bench-report` runs it.
"""
from __future__ import absolute_import

import io
import json
import os
import sys

import pytest

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(CHECKOUT, "bench")
STATIC = os.path.join(CHECKOUT, "docs", "_static", "bench")

pytestmark = pytest.mark.skipif(sys.version_info < (3,), reason="bench/ is Python 3 code")


@pytest.fixture(scope="module")
def bench_modules():
    sys.path[:0] = [os.path.join(BENCH, "lib"), BENCH]
    try:
        import charts
        import report_rst
        yield charts, report_rst
    finally:
        del sys.path[:2]


def committed_results():
    with io.open(os.path.join(BENCH, "results.json"), encoding="utf-8") as f:
        return json.load(f)


def test_the_committed_tables_are_those_the_committed_results_give(bench_modules):
    _, report_rst = bench_modules
    with io.open(os.path.join(STATIC, "ratios.inc"), encoding="utf-8") as f:
        committed = f.read()
    assert report_rst.render(committed_results()) == committed, \
        "docs/_static/bench/ratios.inc is stale: run `make bench-report` and commit it"


def test_every_workload_has_its_chart_and_the_page_includes_them():
    results = committed_results()
    names = ["summary"] + [w["name"] for w in results["workloads"]]
    for name in names:
        with open(os.path.join(STATIC, name + ".png"), "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", name
    with io.open(os.path.join(CHECKOUT, "docs", "benchmarks.rst"), encoding="utf-8") as f:
        page = f.read()
    assert ".. image:: _static/bench/summary.png" in page
    assert ".. include:: _static/bench/ratios.inc" in page
    with io.open(os.path.join(STATIC, "ratios.inc"), encoding="utf-8") as f:
        tables = f.read()
    for w in results["workloads"]:
        assert ".. image:: /_static/bench/%s.png" % w["name"] in tables
    with io.open(os.path.join(CHECKOUT, "README.rst"), encoding="utf-8") as f:
        assert ".. image:: docs/_static/bench/summary.png" in f.read()


def cell(value, **args):
    return {"status": "ok", "median": {"v": value}, "args": args}


def workload(better, cells, peers=None, case_args=None):
    w = {"name": "w", "title": "W", "description": "`x`", "primary": {"key": "v", "label": "v/s",
         "better": better, "fmt": "si"},
         "cases": [{"name": "c", "args": case_args or {}, "cells": cells}]}
    if peers:
        w["peers"] = peers
    return w


def test_ratios_read_times_better_whichever_way_the_metric_points(bench_modules):
    charts, _ = bench_modules
    faster = workload("higher", {"idiokit": cell(300.0), "uvloop": cell(100.0)})
    smaller = workload("lower", {"idiokit": cell(50.0), "uvloop": cell(100.0)})
    rows = charts.summary_rows({"workloads": [faster, smaller]})
    assert [pairs for _, pairs in rows] == [[("uvloop", 3.0)], [("uvloop", 2.0)]]


def test_cells_run_with_other_parameters_are_left_out(bench_modules):
    charts, report_rst = bench_modules
    w = workload("higher", {"idiokit": cell(300.0, n=100), "uvloop": cell(100.0, n=100),
                            "pycos": cell(50.0, n=10)}, case_args={"n": 100})
    bars = charts.case_ratios(w, w["cases"][0], "uvloop")
    assert [name for name, _ in bars] == ["idiokit (generators)", "uvloop"]
    table = "\n".join(report_rst.workload_table(w))
    assert "3.00x" in table and "pycos" not in table


def test_the_summary_shows_each_workloads_own_peers(bench_modules):
    charts, _ = bench_modules
    w = workload("higher", {"idiokit": cell(90.0), "uvloop": cell(60.0), "c_libev": cell(100.0)},
                 peers=["uvloop", "c_libev"])
    (_, pairs), = charts.summary_rows({"workloads": [w]})
    assert pairs == [("uvloop", 1.5), ("c_libev", 0.9)]


def test_a_description_in_markdown_becomes_rst_literals(bench_modules):
    _, report_rst = bench_modules
    results = {"generated": "now", "idiokit_source": "abc", "python_version": "CPython 3",
               "machine": {"cpu": "cpu", "cores": 2, "kernel": "k", "loadavg_at_start": [1, 2, 3]},
               "frameworks": {}, "workloads": [workload("higher", {"idiokit": cell(1.0)})]}
    text = report_rst.render(results)
    assert "``x``" in text and " `x` " not in text


def test_a_workload_chart_falls_back_to_the_first_peer_measured(bench_modules):
    charts, report_rst = bench_modules
    w = workload("higher", {"idiokit": cell(300.0), "asyncio": cell(30.0)})  # uvloop not run
    assert report_rst.chart_peer(w) == "asyncio"
    assert charts.case_ratios(w, w["cases"][0], "asyncio")[0] == ("idiokit (generators)", 10.0)
