"""dns workload helper: start the shared dnsmasq zone on a free port of 127.0.0.1.

Every framework script starts the same dnsmasq (same binary, same options, cache off: the
names are served from --host-record) and resolves against it. dnsmasq is moved off the
measured core (the runner pins the script; the child would inherit that pin), so both
sides get a core as in the server workloads.
"""
import os
import socket
import subprocess
import time

NAMES = ["host%d.bench.test" % i for i in range(16)]
ZONE = ["--local=/bench.test/"] + [
    "--host-record=%s,192.0.2.%d" % (name, i + 1) for i, name in enumerate(NAMES)]


def expected(name):
    return "192.0.2.%d" % (NAMES.index(name) + 1)


def _free_port():
    while True:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            try:
                tcp.bind(("127.0.0.1", port))
            except socket.error:
                continue
            return port
        finally:
            udp.close()
            tcp.close()


def _other_cores():
    try:
        mine = os.sched_getaffinity(0)
        every = set(range(os.cpu_count() or 1))
    except AttributeError:
        return None
    others = every - mine
    return others or None


def start():
    """(Popen, port) of a running dnsmasq; stop it with stop(proc)."""
    binary = next(p for p in ("/usr/sbin/dnsmasq", "/usr/bin/dnsmasq") if os.path.exists(p))
    port = _free_port()
    args = [binary, "--no-daemon", "--keep-in-foreground", "--port=%d" % port,
            "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
            "--conf-file=/dev/null", "--pid-file=", "--cache-size=0"] + ZONE
    if os.geteuid() == 0:
        args.append("--user=root")
    cores = _other_cores()

    def move():
        if cores:
            os.sched_setaffinity(0, cores)
    devnull = open(os.devnull, "wb")
    proc = subprocess.Popen(args, stdout=devnull, stderr=devnull, preexec_fn=move, close_fds=True)
    devnull.close()
    deadline = time.time() + 10
    while time.time() < deadline:
        sock = socket.socket()
        try:
            sock.connect(("127.0.0.1", port))
            return proc, port
        except socket.error:
            time.sleep(0.02)
        finally:
            sock.close()
    stop(proc)
    raise SystemExit("dnsmasq did not start")


def stop(proc):
    proc.terminate()
    proc.wait()
