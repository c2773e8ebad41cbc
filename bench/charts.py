#!/usr/bin/env python3
"""bench/charts.py: draws the benchmark charts (PNG) from bench/results.json.

Owns every picture of the benchmarks: ``summary.png`` (one bar per workload: idiokit
against each of its peers, the chart README.rst shows) and one ``<workload>.png`` per
workload (every framework against the workload's first peer measured, a panel per case), all into
docs/_static/bench/ by default, where docs/benchmarks.rst and README.rst find them.

Ratios read "times better than", as in bench/RESULTS.md: above 1 idiokit is ahead,
whichever way the metric points. Cells run with other parameters than their case
(marked † in RESULTS.md) are left out. bench/run.py calls ``draw_all`` after every run
and with ``--report-only``; run alone, this script redraws from the committed results
without measuring anything:

    python bench/charts.py [--results bench/results.json] [--out docs/_static/bench]

Needs matplotlib (bench/requirements.txt); without it ``draw_all`` returns [] and the
command line says so.
"""
from __future__ import print_function

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))

from probe import label  # noqa: E402
from report import in_order, ratio  # noqa: E402
from report_rst import chart_peer, peers_of, value as _value  # noqa: E402

DEFAULT_OUT = os.path.join(os.path.dirname(HERE), "docs", "_static", "bench")
MAIN = "idiokit"            # the row the summary shows: generator streams
C_PEERS = ("c_libev",)      # peers written in C, drawn in their own colour
IDIOKIT_COLOUR, PEER_COLOUR, C_COLOUR = "#c0392b", "#7f8c8d", "#2c3e50"


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker as ticker
    except ImportError:
        return None, None
    return plt, ticker


def case_ratios(workload, case, peer):
    """[(framework label, ratio against peer)] for every like-for-like cell of a case."""
    key, better = workload["primary"]["key"], workload["primary"].get("better", "higher")
    base = _value(case, peer, key)
    bars = []
    for framework, _cell in in_order(case["cells"]):
        r = ratio(_value(case, framework, key), base, better)
        if r is not None:
            bars.append((label(framework), r))
    return bars


def summary_rows(results):
    """[(row title, [(peer, ratio)])]: idiokit (generators) against each peer of each
    workload, in its first case."""
    rows = []
    for w in results["workloads"]:
        if not w["cases"]:
            continue
        case = w["cases"][0]
        key, better = w["primary"]["key"], w["primary"].get("better", "higher")
        mine = _value(case, MAIN, key)
        pairs = [(peer, ratio(mine, _value(case, peer, key), better)) for peer in peers_of(w)[:2]]
        pairs = [(peer, r) for peer, r in pairs if r is not None and peer != "asyncio"] or \
            [(peer, r) for peer, r in pairs if r is not None]
        if pairs:
            rows.append(("%s\n(%s)" % (w["title"], case["name"]), pairs))
    return rows


def _log_axis(ax, ticker, values):
    low, high = min(values + [1.0]) / 1.6, max(values + [1.0]) * 1.6
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    ticks = [m * 10.0 ** e for e in range(-3, 4) for m in (1, 2, 5)]
    ax.set_xticks([t for t in ticks if low <= t <= high])
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda x, _: "%g×" % x))
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.tick_params(labelsize=8)


def _bar_text(ax, y, r):
    text = "%d×" % round(r) if r >= 100 else ("%.1f×" % r if r >= 10 else "%.2f×" % r)
    ax.text(r * 1.04, y, text, va="center", fontsize=7)


def _colour(peer):
    return C_COLOUR if peer in C_PEERS else PEER_COLOUR


def draw_summary(results, path, plt, ticker):
    rows = summary_rows(results)
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(8.5, 0.8 + 0.42 * sum(len(p) + 0.4 for _, p in rows)))
    y, values = 0, []
    for _title, pairs in reversed(rows):
        for peer, r in reversed(pairs):
            ax.barh(y, r, color=_colour(peer), height=0.8)
            _bar_text(ax, y, r)
            values.append(r)
            y += 1
        y += 0.4
    ax.set_yticks(_row_positions(rows))
    ax.set_yticklabels([_row_label(title, pairs) for title, pairs in reversed(rows)], fontsize=7.5)
    _log_axis(ax, ticker, values)
    ax.set_title("idiokit (generator streams): times better than the peer\n"
                 "(log scale; above 1x idiokit is ahead)", fontsize=9)
    ax.legend(handles=_legend_handles(plt), fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)
    return path


def _row_label(title, pairs):
    return "%s\nvs %s" % (title, ", ".join(label(peer) for peer, _ in pairs))


def _row_positions(rows):
    """The y of each row's label: the middle of its bars (rows drawn bottom-up)."""
    positions, y = [], 0
    for _, pairs in reversed(rows):
        positions.append(y + (len(pairs) - 1) / 2.0)
        y += len(pairs) + 0.4
    return positions


def _legend_handles(plt):
    import matplotlib.patches as patches
    return [patches.Patch(color=PEER_COLOUR, label="against the Python peer (uvloop unless named)"),
            patches.Patch(color=C_COLOUR, label="against a C server on libev")]


def draw_workload(workload, path, plt, ticker):
    peer = chart_peer(workload)
    panels = [(case["name"], case_ratios(workload, case, peer)) for case in workload["cases"]]
    panels = [(name, bars) for name, bars in panels if bars]
    if not panels:
        return None
    fig, axes = plt.subplots(len(panels), 1, squeeze=False,
                             figsize=(8, 0.4 + sum(0.5 + 0.26 * len(b) for _, b in panels)))
    for ax, (name, bars) in zip(axes[:, 0], panels):
        names = [b[0] for b in bars][::-1]
        values = [b[1] for b in bars][::-1]
        colours = [IDIOKIT_COLOUR if n.startswith("idiokit") else
                   (C_COLOUR if n in C_PEERS else PEER_COLOUR) for n in names]
        ax.barh(names, values, color=colours)
        for y, r in enumerate(values):
            _bar_text(ax, y, r)
        _log_axis(ax, ticker, values)
        ax.set_title("%s: %s  (times better than %s)" % (workload["title"], name, label(peer)),
                     fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)
    return path


def draw_all(results, out=DEFAULT_OUT):
    """Draws summary.png and one PNG per workload into out; returns the paths drawn
    ([] without matplotlib)."""
    plt, ticker = _pyplot()
    if plt is None:
        return []
    if not os.path.isdir(out):
        os.makedirs(out)
    drawn = [draw_summary(results, os.path.join(out, "summary.png"), plt, ticker)]
    for w in results["workloads"]:
        drawn.append(draw_workload(w, os.path.join(out, "%s.png" % w["name"]), plt, ticker))
    return [p for p in drawn if p]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--results", default=os.path.join(HERE, "results.json"),
                   help="the merged results to draw (default bench/results.json)")
    p.add_argument("--out", default=DEFAULT_OUT, help="folder for the PNGs (default docs/_static/bench)")
    args = p.parse_args(argv)
    with open(args.results) as f:
        results = json.load(f)
    if _pyplot()[0] is None:
        sys.stderr.write("charts: matplotlib is not installed (pip install matplotlib)\n")
        return 1
    for path in draw_all(results, args.out):
        print("wrote %s" % os.path.relpath(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
