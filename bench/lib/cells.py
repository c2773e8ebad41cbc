"""Runs one benchmark cell (one framework, one case, one run) in a fresh process, pinned to a
core with taskset, and reads the one JSON line it prints.

Two shapes. A plain workload's script measures and prints its JSON, then exits. A server
workload's script is a server: it prints {"ready": true, "port": P} once it listens and then
serves until SIGTERM (it may print one more JSON line of its own measurements as it exits,
merged in with a "server_" prefix); the workload's client runs on the load-generator core
with ``--port P`` plus the case's client_args and prints the measurements. Medians over runs
are also here.
"""
import json
import os
import shutil
import signal
import subprocess
import time

LAUNCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launch.py")
_TASKSET = shutil.which("taskset")


def _pinned(cpu, argv):
    if cpu is None or _TASKSET is None:
        return argv
    return [_TASKSET, "-c", str(cpu)] + argv


def _flags(args):
    out = []
    for key in sorted(args):
        out += ["--" + key, str(args[key])]
    return out


def _script_argv(python, script, args):
    if script.endswith(".py"):
        return [python, LAUNCH, script] + _flags(args)
    return [script] + _flags(args)


def _last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


def _why(proc_rc, stderr, what):
    lines = [l for l in (stderr or "").strip().splitlines() if l.strip()]
    tail = lines[-1].strip() if lines else "(no stderr)"
    return "%s exited with %s: %s" % (what, proc_rc, tail)


def run_plain(python, script, args, cpu, timeout, cwd):
    """Run one plain cell. Returns {"ok": True, "data": {...}} or {"ok": False, "error": str}."""
    argv = _pinned(cpu, _script_argv(python, script, args))
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": "timed out after %g s" % timeout}
    data = _last_json(proc.stdout)
    if proc.returncode != 0 or data is None:
        return {"ok": False, "error": _why(proc.returncode, proc.stderr, "script")}
    return {"ok": True, "data": data}


def _stop(proc, grace=5.0):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_server(python, script, args, client, client_args, cpu, client_cpu, timeout, cwd,
               ready_timeout=15.0, server_env=None):
    """Run one server cell: start the server (with server_env added to its environment),
    wait for its ready line, run the client, stop."""
    argv = _pinned(cpu, _script_argv(python, script, args))
    env = dict(os.environ, **server_env) if server_env else None
    server = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env)
    try:
        ready = _wait_ready(server, ready_timeout)
        if "error" in ready:
            _stop(server)
            return {"ok": False, "error": "server: %s; %s" % (ready["error"], _tail(server.stderr))}
        cargs = dict(client_args)
        cargs["port"] = ready["port"]
        cargv = _pinned(client_cpu, _script_argv(python, client, cargs))
        # A script that runs the server as its child (it must clean up after it) names
        # the child's pid in its ready line: that is whose CPU time counts.
        serving = ready.get("pid", server.pid)
        cpu_before = _cpu_seconds(serving)
        try:
            proc = subprocess.run(cargv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"ok": False, "error": "client timed out after %g s" % timeout}
        cpu_after = _cpu_seconds(serving)
        data = _last_json(proc.stdout)
        if proc.returncode != 0 or data is None:
            return {"ok": False, "error": _why(proc.returncode, proc.stderr, "client")}
        _add_server_cpu(data, cpu_before, cpu_after)
        if server.poll() is not None:
            return {"ok": False, "error": "server died during the run: %s" % _tail(server.stderr)}
    finally:
        _stop(server)
    final = _last_json(server.stdout.read() or "")
    if final and not final.get("ready"):
        for key, value in final.items():
            data["server_" + key] = value
    return {"ok": True, "data": data}


def _cpu_seconds(pid):
    """(user, system) CPU seconds of a process so far, from /proc; None if unreadable."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tick = float(os.sysconf("SC_CLK_TCK"))
        return int(fields[11]) / tick, int(fields[12]) / tick
    except (OSError, ValueError, IndexError):
        return None


def _add_server_cpu(data, before, after):
    """The server's CPU time per request during the client's run (user and in all):
    what the server itself spends, less sensitive than the rate to the other core."""
    requests = data.get("requests")
    if before is None or after is None or not requests:
        return
    user, system = after[0] - before[0], after[1] - before[1]
    data["server_cpu_us"] = (user + system) / requests * 1e6
    data["server_user_us"] = user / requests * 1e6


def _wait_ready(server, timeout):
    """Read the server's stdout until its {"ready": true, "port": P} line."""
    import selectors
    deadline = time.monotonic() + timeout
    sel = selectors.DefaultSelector()
    sel.register(server.stdout, selectors.EVENT_READ)
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return {"error": "no ready line within %g s" % timeout}
            if not sel.select(left):
                continue
            line = server.stdout.readline()
            if not line:
                return {"error": "exited with %s before it was ready" % server.wait()}
            line = line.strip()
            if line.startswith("{"):
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                if msg.get("ready") and "port" in msg:
                    return msg
    finally:
        sel.close()


def _tail(stream):
    try:
        lines = [l for l in (stream.read() or "").splitlines() if l.strip()]
    except (OSError, ValueError):
        return "(no stderr)"
    return lines[-1].strip() if lines else "(no stderr)"


def median(values):
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2.0


def median_record(records):
    """Per-key median of the numeric fields of several runs' JSON records."""
    out = {}
    keys = set()
    for record in records:
        keys.update(record)
    for key in keys:
        values = [r[key] for r in records if isinstance(r.get(key), (int, float)) and not isinstance(r.get(key), bool)]
        if values:
            out[key] = median(values)
        else:
            out[key] = records[-1].get(key)
    return out
