"""Writes docs/_static/bench/ratios.inc: the ratio tables docs/benchmarks.rst includes.

Owns the reStructuredText face of bench/results.json: for each workload, one table whose rows
are its cases and whose columns are idiokit (generator and async def streams) against each
peer of the workload (report.py's ratios: "times better than", above 1 idiokit is ahead; cells
not like for like left out), its chart (drawn by bench/charts.py, which shares the rules here),
the DESIGN.md targets, and the header facts (machine, Python, versions).
bench/run.py writes it with the charts, so the page never quotes numbers by hand.
"""
import re

from probe import label
from report import PEERS, PENDING_TARGETS, evaluate_target, fmt, in_order, ratio

ROWS = ["idiokit", "idiokit_async"]


def _rst(markdown):
    """A description's markdown code spans as reStructuredText literals."""
    return re.sub(r"`([^`]+)`", r"``\1``", markdown)


def value(case, framework, key):
    """The median `key` of a framework's cell in a case, if it ran like for like (the charts
    and tables leave out cells run with other parameters than their case)."""
    cell = case["cells"].get(framework, {})
    differs = any(case.get("args", {}).get(k) != v for k, v in cell.get("args", {}).items())
    if cell.get("status") == "ok" and not differs:
        return cell["median"].get(key)
    return None


def peers_of(workload):
    """The peers a workload's ratios are read against (its own list, else uvloop, asyncio)."""
    return list(workload.get("peers") or PEERS)


def chart_peer(workload):
    """The first of the workload's peers measured in some case (a partial run may have left
    out the first): what its chart is drawn against."""
    key = workload["primary"]["key"]
    for peer in peers_of(workload):
        if any(value(case, peer, key) is not None for case in workload["cases"]):
            return peer
    return peers_of(workload)[0]


def _ratio_text(r):
    if r is None:
        return "-"
    return "%.1fx" % r if r >= 10 else "%.2fx" % r


def _table(head, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    rule = "  ".join("=" * w for w in widths)
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return [rule, line(head), rule] + [line(r) for r in rows] + [rule]


def workload_table(w):
    key, better = w["primary"]["key"], w["primary"].get("better", "higher")
    peers = peers_of(w)
    columns = [(mine, peer) for mine in ROWS for peer in peers]
    head = ["case", w["primary"]["label"] + " (idiokit)"] + \
        ["%s vs %s" % ("gen" if mine == "idiokit" else "async def", label(peer)) for mine, peer in columns]
    rows = []
    for case in w["cases"]:
        mine_value = value(case, "idiokit", key)
        row = [case["name"], fmt(mine_value, w["primary"].get("fmt"))]
        row += [_ratio_text(ratio(value(case, mine, key), value(case, peer, key), better))
                for mine, peer in columns]
        rows.append(row)
    keep = [i for i, col in enumerate(zip(head, *rows)) if i < 2 or any(c != "-" for c in col[1:])]
    return _table([head[i] for i in keep], [[r[i] for i in keep] for r in rows])


def targets_table(workloads):
    """DESIGN.md's targets for idiokit's generator streams, reached or not, as a list-table."""
    out = [".. list-table::", "   :header-rows: 1", "   :widths: 30 30 30 10", "",
           "   * - workload", "     - target", "     - measured", "     - reached?"]
    for w in workloads:
        for target in w.get("targets", []):
            if "idiokit" not in (target.get("for") or [target.get("framework", "idiokit")]):
                continue
            measured, reached = evaluate_target(w, target, "idiokit")
            case = target.get("case") or w["cases"][0]["name"]
            out += ["   * - %s: %s" % (w["title"], case), "     - %s" % _rst(target["text"]),
                    "     - %s" % _rst(measured), "     - %s" % reached.replace("**", "")]
    names = set(w["name"] for w in workloads)
    for folder, what, target in PENDING_TARGETS:
        if folder not in names:
            out += ["   * - %s" % _rst(what), "     - %s" % _rst(target),
                    "     - no ``bench/workloads/%s/`` yet" % folder, "     - not measured"]
    return out


def render(results):
    m = results["machine"]
    out = [".. Written by bench/run.py (bench/lib/report_rst.py) from bench/results.json;",
           "   do not edit by hand.", "",
           "- Last run: %s; idiokit built from ``%s``." % (results["generated"], results["idiokit_source"]),
           "- Machine: %s, %s cores, Linux %s, shared with other work (load average %s at the "
           "start of the last run)." % (m["cpu"], m["cores"], m["kernel"],
                                        " / ".join(str(x) for x in m["loadavg_at_start"])),
           "- Interpreter: %s." % results["python_version"],
           "- Versions: %s." % ", ".join("%s %s" % (label(f), info["version"])
                                         for f, info in in_order(results["frameworks"])
                                         if info.get("available") and "_" not in f and info.get("version") != "-"),
           "", ".. rubric:: The targets of DESIGN.md", "",
           "For idiokit's generator streams; a ratio target counts as reached only when the ratio "
           "of the medians and the median of the per-round ratios both reach it.", ""]
    out += targets_table(results["workloads"]) + [""]
    for w in results["workloads"]:
        out += [".. rubric:: %s" % w["title"], "", _rst(w["description"]), ""]
        out += workload_table(w) + ["", ".. image:: /_static/bench/%s.png" % w["name"],
                                    "   :alt: %s: every framework against %s" % (
                                        w["title"], label(chart_peer(w))), ""]
    return "\n".join(out) + "\n"
