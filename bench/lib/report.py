"""Turns the results JSON (bench/results.json) into bench/RESULTS.md.

Owns the presentation: number formats, the ratio columns ("how many times better than" a
peer, so >1 is always better, whichever way the metric points), the original idiokit's
published numbers as a reference row, and the DESIGN.md targets with reached / not reached.
"""
import re

from discover import KNOWN_FRAMEWORKS
from probe import label

# DESIGN.md targets whose workloads do not exist yet: (workload folder, workload, target).
PENDING_TARGETS = [
    ("tcp_echo", "TCP echo, `yield sock.recv`/`sendall`, 1 KiB and 10 KiB, 10 and 100 connections",
     "above uvloop's `Protocol` echo, within 10% of a C server on libev"),
    ("http_hello", "HTTP hello world, keep-alive, wrk",
     "above a uvloop `Protocol` server with its own minimal parser"),
    ("c10k", "10,000 concurrent connections", "held, echoing, no error, memory linear"),
]
PEERS = ["uvloop", "asyncio"]
CARRIED_PREFIX = re.compile(r"^(?:\(from the run of ([^)]*)\) )+")
ORIGINAL_LABEL = "original (from reference)"


def in_order(mapping):
    """(framework, value) pairs of a dict keyed by framework, in the tables' order."""
    rank = dict((f, i) for i, f in enumerate(KNOWN_FRAMEWORKS))
    return sorted(mapping.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))


def carried_note(cell):
    """The cell's note, led once by "(from the run of ...)" when a partial run carried the
    cell over from an earlier one.  Results merged before 2026-12-01 kept that in the note
    itself, once per merge; those prefixes are read back and said once."""
    note = cell.get("note") or ""
    stacked = CARRIED_PREFIX.match(note)
    carried = cell.get("carried_from") or (stacked.group(1) if stacked else None)
    note = CARRIED_PREFIX.sub("", note)
    return "(from the run of %s) %s" % (carried, note) if carried else note


def fmt(value, kind):
    if value is None:
        return "-"
    if not isinstance(value, (int, float)):
        return str(value)
    if kind == "si":
        for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
            if abs(value) >= limit:
                scaled = value / limit
                return ("%.3g" % scaled) + suffix if scaled < 1000 else "%d%s" % (scaled, suffix)
        return "%.3g" % value
    if kind == "int":
        return "{:,}".format(int(round(value)))
    if kind and kind.startswith("."):
        return format(value, kind)
    return "%.4g" % value


def ratio(value, peer, better):
    """How many times better value is than peer (>1: better)."""
    if value is None or peer is None or value <= 0 or peer <= 0:
        return None
    return value / peer if better == "higher" else peer / value


def paired_ratio(cell, peer_cell, key, better):
    """(median, count) of the per-round ratios of cell against peer_cell.

    Runs of one case go round-robin, so the two runs of a round are
    neighbours in time and share the machine's state; the median of their
    ratios is less at the mercy of a shared machine's drift than the ratio of
    the two medians.  (None, 0) without rounds run by both."""
    if not cell or not peer_cell or "rounds" not in cell or "rounds" not in peer_cell:
        return None, 0
    peer_by_round = dict(zip(peer_cell["rounds"], peer_cell["runs"]))
    ratios = []
    for rnd, run in zip(cell["rounds"], cell["runs"]):
        peer_run = peer_by_round.get(rnd)
        r = ratio(run.get(key), peer_run.get(key), better) if peer_run else None
        if r is not None:
            ratios.append(r)
    if not ratios:
        return None, 0
    ratios.sort()
    mid = len(ratios) // 2
    value = ratios[mid] if len(ratios) % 2 else (ratios[mid - 1] + ratios[mid]) / 2.0
    return value, len(ratios)


def fmt_ratio(r):
    if r is None:
        return "-"
    if r >= 100:
        return "%d×" % round(r)
    if r >= 10:
        return "%.1f×" % r
    return "%.2f×" % r


def _primary(cell, key):
    if cell and cell.get("status") == "ok":
        return cell["median"].get(key)
    return None


def _peer_value(workload, case, peer):
    key = workload["primary"]["key"]
    if peer == "original":
        ref = workload.get("original", {}).get(case["name"])
        return ref["value"] if ref else None
    return _primary(case["cells"].get(peer), key)


def case_table(workload, case):
    primary = workload["primary"]
    better = primary.get("better", "higher")
    has_original = case["name"] in workload.get("original", {})
    peers = workload.get("peers", PEERS) + (["original"] if has_original else [])
    head = ["framework", primary["label"]] + ["vs %s" % p for p in peers]
    head += [c["label"] for c in workload.get("columns", [])] + ["notes"]
    rows = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 2) + ["---"]) + "|"]
    peer_values = dict((p, _peer_value(workload, case, p)) for p in peers)
    case_args = case.get("args", {})
    for framework, cell in in_order(case["cells"]):
        status = cell["status"]
        if status == "ok":
            med = cell["median"]
            value = med.get(primary["key"])
            differs = dict((k, v) for k, v in cell.get("args", {}).items() if case_args.get(k) != v)
            cols = [fmt(value, primary.get("fmt"))]
            for p in peers:
                text = fmt_ratio(ratio(value, peer_values[p], better))
                cols.append("(%s)†" % text if differs and text != "-" else text)
            cols += [fmt(med.get(c["key"]), c.get("fmt")) for c in workload.get("columns", [])]
            note = carried_note(cell)
            if differs:
                note = "† not like for like: ran with %s (the case: %s). %s" % (
                    ", ".join("%s=%s" % kv for kv in sorted(differs.items())),
                    ", ".join("%s=%s" % (k, case_args.get(k)) for k in sorted(differs)), note)
            if cell.get("runs_ok", 0) < cell.get("runs_wanted", 0):
                note = ("%d of %d runs failed. " % (cell["runs_wanted"] - cell["runs_ok"], cell["runs_wanted"])) + note
        else:
            cols = ["**%s**" % status] + ["-"] * (len(peers) + len(workload.get("columns", [])))
            note = "see Frameworks above" if status == "unavailable" else (cell.get("reason") or "")
        rows.append("| " + " | ".join([label(framework)] + cols + [note.strip().replace("|", "\\|")]) + " |")
    if has_original:
        ref = workload["original"][case["name"]]
        cols = [fmt(ref["value"], primary.get("fmt"))] + ["-"] * (len(peers) + len(workload.get("columns", [])))
        rows.append("| " + " | ".join([ORIGINAL_LABEL] + cols + [ref["text"]]) + " |")
    return "\n".join(rows)


def _target_for(target):
    return target.get("for") or [target.get("framework", "idiokit")]


def evaluate_target(workload, target, framework):
    """(measured text, reached text) for one target and one framework."""
    cases = workload["cases"]
    case = next((c for c in cases if c["name"] == target.get("case")), cases[0])
    cell = case["cells"].get(framework)
    if not cell or cell["status"] != "ok":
        status = (cell or {}).get("status", "not run")
        why = "%s unavailable" % label(framework) if status == "unavailable" else (cell or {}).get("reason") or status
        return "not measured: %s" % why, "not measured"
    med = cell["median"]
    if target["kind"] == "ratio":
        better = workload["primary"].get("better", "higher")
        key = workload["primary"]["key"]
        peer = _peer_value(workload, case, target["vs"])
        r = ratio(med.get(key), peer, better)
        if r is None:
            return "no %s number to compare with" % target["vs"], "not measured"
        text = "%s %s vs %s %s = %s" % (label(framework), fmt(med.get(key), workload["primary"].get("fmt")),
                                        ORIGINAL_LABEL if target["vs"] == "original" else target["vs"],
                                        fmt(peer, workload["primary"].get("fmt")), fmt_ratio(r))
        paired, count = paired_ratio(cell, case["cells"].get(target["vs"]), key, better)
        if paired is None:
            return text, "**reached**" if r >= target["min"] else "not reached"
        # Reached only when both readings agree: the ratio of the medians and
        # the median of the per-round ratios.
        text += "; per round: %s (median of %d)" % (fmt_ratio(paired), count)
        return text, "**reached**" if min(r, paired) >= target["min"] else "not reached"
    value = med.get(target["key"])
    text = "%s %s = %s" % (label(framework), target["key"], fmt(value, ".3f"))
    if value is None:
        return text, "not measured"
    ok = value <= target["value"] if target["kind"] == "max" else value >= target["value"]
    return text, "**reached**" if ok else "not reached"


def targets_table(workloads):
    rows = ["| workload | framework | target | measured (median) | reached? |", "|---|---|---|---|---|"]
    names = set()
    for w in workloads:
        names.add(w["name"])
        for target in w.get("targets", []):
            for framework in _target_for(target):
                measured, reached = evaluate_target(w, target, framework)
                case = target.get("case") or w["cases"][0]["name"]
                rows.append("| %s: %s | %s | %s | %s | %s |" % (w["title"], case, label(framework), target["text"],
                                                            measured, reached))
    for folder, what, target in PENDING_TARGETS:
        if folder not in names:
            rows.append("| %s | idiokit | %s | not measured: no `bench/workloads/%s/` yet | not measured |" % (
                what, target, folder))
    return "\n".join(rows)


def render(results, chart_path=None):
    out = ["# Benchmark results", "",
           "Written by `bench/run.py` (`make bench`); do not edit by hand. Raw numbers: `bench/results.json`.", ""]
    m = results["machine"]
    out += [
        "- Last run: %s" % results["generated"],
        "- Machine: %s, %s cores, Linux %s; load average at the start of the last run: %s "
        "(the machine is shared, so numbers move)" % (m["cpu"], m["cores"], m["kernel"],
                                                      " / ".join(str(x) for x in m["loadavg_at_start"])),
        "- Python: %s (`%s`)" % (results["python_version"], results["python"]),
        "- idiokit built from: %s" % results["idiokit_source"],
        "- Method: one fresh process per cell and run, pinned with `taskset -c %s` (load generators, "
        "when a workload has one, on core %s); each cell is the per-key median of its runs; "
        "runs of one case go round-robin over the frameworks." % (results["cpu"], results["client_cpu"]),
        "- Ratios read \"times better than\" the peer: above 1 this row beats it, whichever way "
        "the metric points (for seconds and bytes, lower is better).",
        "- A ratio target against another framework counts as reached only when two readings agree: "
        "the ratio of the two medians, and the median of the per-round ratios (the two runs of a "
        "round are neighbours in time, so that reading is less at the mercy of the machine's drift).",
        "", "## Frameworks", "", "| framework | version | status |", "|---|---|---|",
    ]
    for framework, info in in_order(results["frameworks"]):
        status = "available" if info["available"] else "**unavailable**: %s" % info["reason"]
        out.append("| %s | %s | %s |" % (label(framework), info["version"], status.replace("|", "\\|")))
    out += ["", "## DESIGN.md targets", "", targets_table(results["workloads"]), ""]
    if chart_path:
        out += ["![ratios against uvloop](%s)" % chart_path, ""]
    for w in results["workloads"]:
        issue = " (issue %s)" % w["issue"] if w.get("issue") else ""
        out += ["## %s%s" % (w["title"], issue), "",
                "Workload `bench/workloads/%s/`, measured %s, %d run(s) per cell. %s" % (
                    w["name"], w["measured"], w["runs"], w["description"]), ""]
        for case in w["cases"]:
            out += ["### %s" % case["name"], ""] + case_runs_line(w, case) + [case_table(w, case), ""]
    return "\n".join(out)


def case_runs_line(workload, case):
    """A line naming the run counts of a case's cells when some differ from the workload's
    (a later run of this case alone, with --case), else nothing."""
    counts = [(f, c.get("runs_wanted")) for f, c in in_order(case["cells"]) if c.get("runs_wanted")]
    if all(n == workload["runs"] for _, n in counts):
        return []
    return ["Runs per cell in this case: %s." % ", ".join("%s %d" % (label(f), n) for f, n in counts), ""]
