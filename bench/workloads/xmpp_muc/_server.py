"""xmpp_muc's server, shared by its scripts: the tests' prosody (tests/support/
prosody.py: generated configuration and certificates, STARTTLS required,
accounts alice and bob) started on a free port of 127.0.0.1 and pinned with
taskset to `cpu` (the measured client runs on the other core).

`server` picks its configuration, the same for every client:
- "tuned" (the default): the tests' configuration plus the settings an
  AbuseHelper deployment would run a busy prosody with, each documented by
  prosody 0.12 (https://prosody.im/doc/advanced_gc, mod_muc's options):
  Lua 5.4's generational garbage collector (`gc`), no MUC history kept
  (`max_history_messages = 0`: AbuseHelper's bots join with history off,
  so a stored copy per message is never read) and no XEP-0421 occupant-id
  stamped on each groupchat message (`muc_occupant_id = false`: the bots
  do not read it). With Debian's defaults prosody spends about three times
  the CPU per message and caps the faster client's rate.
- "stock": the tests' configuration unchanged (Debian's defaults)."""
from __future__ import print_function

import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from support.prosody import Prosody  # noqa: E402
from benchutil import emit  # noqa: E402

USERS = {"alice": "alice-secret", "bob": "bob-secret"}
ROOM = "bench@conference.localhost"


CONFIGS = {
    "stock": ("", ""),
    "tuned": ('gc = { mode = "generational" }',
              "    max_history_messages = 0\n    muc_occupant_id = false"),
}


class PinnedProsody(Prosody):
    cpu = None

    def configure(self):
        argv = Prosody.configure(self)
        taskset = shutil.which("taskset") if hasattr(shutil, "which") else None
        if self.cpu is not None and self.cpu >= 0 and taskset:
            argv = [taskset, "-c", str(self.cpu)] + argv
        return argv


def start(cpu, config="tuned"):
    if config not in CONFIGS:
        sys.exit("unknown server configuration %r (known: %s)"
                 % (config, ", ".join(sorted(CONFIGS))))
    server = PinnedProsody()
    server.cpu = cpu
    server.global_options, server.muc_options = CONFIGS[config]
    for user, password in USERS.items():
        server.add_user(user, password)
    server.start()
    if "Failed to apply GC configuration" in server.log():
        server.close()
        sys.exit("prosody refused the gc setting of %r" % config)
    return server


def usage(server):
    """(this process's CPU seconds, the server's CPU seconds) so far."""
    times = os.times()
    with open("/proc/%d/stat" % server.proc.pid) as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = float(os.sysconf("SC_CLK_TCK"))
    return times[0] + times[1], (int(fields[11]) + int(fields[12])) / ticks


def run_cell(params, measure):
    """Start the server, run measure(server, n) -> (received, seconds,
    usage at the start, usage at the end), check the count and print the
    JSON line: the rate, and the CPU time per message of the client
    process (both clients) and of prosody during the timed part."""
    server = start(params["server_cpu"], params["server"])
    try:
        got, seconds, before, after = measure(server, params["n"])
    finally:
        server.close()
    if got != params["n"]:
        sys.exit("received %d messages, expected %d" % (got, params["n"]))
    emit(rate=got / seconds, seconds=seconds, n=got,
         client_cpu_us=(after[0] - before[0]) / got * 1e6,
         server_cpu_us=(after[1] - before[1]) / got * 1e6)
