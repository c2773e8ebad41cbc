"""Facts about the machine and the frameworks, for the header of bench/RESULTS.md.

Owns: the CPU model and core count, the interpreter's version, and whether each framework
imports in the benchmark interpreter (its version, or the reason it is unavailable, joined with
what bench/setup_venv.sh recorded when installing it).
"""
import os
import platform
import subprocess

# The module a framework's scripts import, and how to print its version.
_VERSION_CODE = {
    "idiokit": "import idiokit, idiokit._core; print(getattr(idiokit, '__version__', 'unknown'))",
    "asyncio": "import asyncio, platform; print('stdlib, Python ' + platform.python_version())",
    "uvloop": "import uvloop; print(uvloop.__version__)",
    "gevent": "import gevent; print(gevent.__version__)",
    "trio": "import trio; print(trio.__version__)",
    "pycos": "import pycos; print(pycos.__version__)",
}
_ALIASES = {"idiokit_async": "idiokit"}
LABELS = {"idiokit": "idiokit (generators)", "idiokit_async": "idiokit (async def)"}


def label(framework):
    return LABELS.get(framework, framework)


def read_install_status(python):
    """bench/.venv/bench-install-status.txt as {name: text}, if python lives in such a venv."""
    venv = os.path.dirname(os.path.dirname(os.path.abspath(python)))
    status = {}
    try:
        with open(os.path.join(venv, "bench-install-status.txt")) as f:
            for line in f:
                name, _, text = line.partition(":")
                if name.strip():
                    status[name.strip()] = text.strip()
    except (IOError, OSError):
        pass
    return status


def probe_framework(python, framework, cwd, install_status):
    """{"available": bool, "version": str, "reason": str or None}."""
    module = _ALIASES.get(framework, framework)
    if module not in _VERSION_CODE and framework.split("_")[0] in _VERSION_CODE:
        module = framework.split("_")[0]  # a variant such as uvloop_streams or idiokit_asyncoro
    code = _VERSION_CODE.get(module)
    if code is None:  # a framework the runner knows nothing about: its script will tell
        return {"available": True, "version": "-", "reason": None}
    try:
        proc = subprocess.run([python, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"available": False, "version": "-", "reason": "probe failed: %s" % exc}
    if proc.returncode == 0:
        return {"available": True, "version": proc.stdout.strip(), "reason": None}
    lines = [l for l in proc.stderr.strip().splitlines() if l.strip()]
    reason = lines[-1] if lines else "import failed (exit %d)" % proc.returncode
    installed = install_status.get(module, "")
    if installed.startswith("failed"):
        reason = "install %s; import: %s" % (installed, reason)
    return {"available": False, "version": "-", "reason": reason}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except (IOError, OSError):
        pass
    return platform.processor() or "unknown"


def machine():
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def python_version(python):
    code = "import platform, sys; print(platform.python_implementation() + ' ' + platform.python_version())"
    try:
        return subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def idiokit_source(python, install_status):
    """Which checkout the benchmarked idiokit was built from, as recorded by setup_venv.sh."""
    return install_status.get("idiokit-source", "not recorded (idiokit not installed by bench/setup_venv.sh)")
