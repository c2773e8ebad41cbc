"""Finds the workloads under bench/workloads/ and reads what each one declares.

A workload is a folder holding ``workload.json`` (its title, cases, metrics, per-framework
overrides, reference numbers and targets; see bench/README.md) and one script per framework,
``<framework>.py``. Files starting with ``_`` are helpers, and a server workload's client
script (named in ``server.client``) is not a framework. This module only reads; it runs nothing.
"""
import json
import os

# Table order; frameworks found in scripts but not listed here come after, alphabetically.
KNOWN_FRAMEWORKS = ["idiokit", "idiokit_async", "asyncio", "uvloop", "gevent", "trio", "pycos"]


class Workload(object):
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        with open(os.path.join(path, "workload.json")) as f:
            self.meta = json.load(f)
        meta = self.meta
        self.title = meta.get("title", self.name)
        self.order = meta.get("order", 1000)
        self.issue = meta.get("issue")
        self.description = meta.get("description", "")
        self.timeout = float(meta.get("timeout", 120))
        self.cases = meta.get("cases") or [{"name": self.name, "args": {}}]
        self.primary = meta["primary"]
        self.columns = meta.get("columns", [])
        self.overrides = meta.get("frameworks", {})
        self.original = meta.get("original", {})
        self.targets = meta.get("targets", [])
        self.server = meta.get("server")  # None, or {"client": "client.py", ...}
        client = (self.server or {}).get("client")
        self.scripts = {}
        for entry in sorted(os.listdir(path)):
            base, ext = os.path.splitext(entry)
            if ext != ".py" or base.startswith("_") or entry == client:
                continue
            self.scripts[base] = os.path.join(path, entry)

    def frameworks(self):
        """Every framework this workload's tables have a row for: the known ones, present or not,
        then any others that have a script."""
        extra = sorted(set(self.scripts) - set(KNOWN_FRAMEWORKS))
        return KNOWN_FRAMEWORKS + extra

    def cell_plan(self, case, framework):
        """What to run for one cell: (script or None, args, note, why_missing)."""
        args = dict(case.get("args", {}))
        override = self.overrides.get(framework, {})
        applies = "cases" not in override or case["name"] in override["cases"]
        note = override.get("note") if applies else None
        if applies:
            args.update(override.get("args", {}))
        script = self.scripts.get(framework)
        missing = None
        if script is None:
            missing = override.get("missing") or "no script for this framework in bench/workloads/%s/" % self.name
        return script, args, note, missing


def load_workloads(root, only=None):
    """All workloads under root, sorted by their declared order; only: names to keep."""
    found = []
    for entry in sorted(os.listdir(root)):
        path = os.path.join(root, entry)
        if os.path.isfile(os.path.join(path, "workload.json")):
            if only and entry not in only:
                continue
            found.append(Workload(path))
    if only:
        unknown = set(only) - set(w.name for w in found)
        if unknown:
            raise SystemExit("unknown workload(s): %s (have: %s)" % (
                ", ".join(sorted(unknown)),
                ", ".join(sorted(e for e in os.listdir(root) if os.path.isdir(os.path.join(root, e))))))
    found.sort(key=lambda w: (w.order, w.name))
    return found
