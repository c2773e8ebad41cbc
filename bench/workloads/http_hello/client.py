"""http_hello's load generator: wrk (keep-alive) against 127.0.0.1:--port for --seconds with
--conns connections and one thread (the generator has one core); requests/s, p50/p99 latency,
and errors (any makes the run invalid). --path picks the URL path (the DNS example's name)."""
import json
import re
import subprocess
import sys

import benchutil


def micros(text):
    number, unit = float(text[:-2] if text.endswith(("us", "ms")) else text[:-1]), \
        text[-2:] if text.endswith(("us", "ms")) else text[-1:]
    return number * {"us": 1.0, "ms": 1000.0, "s": 1e6}[unit]


if __name__ == "__main__":
    p = benchutil.params(port=0, conns=100, seconds=3, path="/")
    out = subprocess.check_output(
        ["wrk", "-t1", "-c%d" % p["conns"], "-d%ds" % p["seconds"], "--latency",
         "http://127.0.0.1:%d%s" % (p["port"], p["path"])]).decode()
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = micros(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = micros(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    if "Socket errors" in out or "Non-2xx" in out:
        sys.stderr.write(out)
        sys.exit(1)
    print(json.dumps({"rate": rate, "requests": requests, "p50_us": p50, "p99_us": p99}))
