"""http_dns / c_libev: the reference, bench/loadgen/http_dns_server_libev.c (plain C on libev +
the system's llhttp + c-ares, one A query per request, one write per answer), resolving against
the benchmark's dnsmasq, which this script starts (off the measured core) and stops."""
import json
import signal
import subprocess
import sys

import cbuild
from benchutil import load_sibling

LIBS = ["-I/usr/share/include/llhttp", "/usr/share/llhttp/llhttp.c",
        "/usr/share/llhttp/api.c", "/usr/share/llhttp/http.c", "-lev", "-lcares"]
helper = load_sibling(__file__, "../dns/_dnsmasq.py")

if __name__ == "__main__":
    binary = cbuild.ensure("loadgen/http_dns_server_libev.c", LIBS)
    proc, dns_port = helper["start"]()
    server = None
    try:
        server = subprocess.Popen([binary, str(dns_port)], stdout=subprocess.PIPE)
        signal.signal(signal.SIGTERM, lambda *args: server.terminate())
        ready = json.loads(server.stdout.readline().decode())
        ready["pid"] = server.pid      # the runner counts the server's CPU time, not ours
        sys.stdout.write(json.dumps(ready) + "\n")
        sys.stdout.flush()
        server.wait()
    finally:
        if server is not None and server.poll() is None:
            server.kill()
            server.wait()
        helper["stop"](proc)
