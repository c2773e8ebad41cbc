# tests/http/test_http_example.py: the README's example, examples/dns_http_api.py,
# run unchanged and asked with curl: GET /localhost is 127.0.0.1, /a..b is a
# 400, a name that does not exist an empty 200, and SIGINT (Ctrl-C) stops it
# with exit status 0 and nothing on stderr.  The example listens on the fixed
# port 8080, so it runs in a network namespace of its own (unshare, as root in
# CI) with its own loopback, a dnsmasq as its DNS server and a resolv.conf
# bind-mounted over the system's in a private mount namespace: other tests
# and agents on the machine are never disturbed.  The `make demo` driver
# (examples/demo_http.py, stdin not a terminal) runs the same way.
from __future__ import absolute_import

import os
import subprocess
import sys

import pytest

from support.dnsmasq import find_dnsmasq
from support.procs import ROOT_DIR as ROOT

SCRIPT = r"""
set -e
ip link set lo up
mount --bind "$TMP/resolv.conf" /etc/resolv.conf
"$DNSMASQ" --no-resolv --no-hosts --local=/test/ --address=/www.example.test/192.0.2.7 \
    --listen-address=127.0.0.1 --bind-interfaces --pid-file="$TMP/dnsmasq.pid" \
    --user=root --log-facility="$TMP/dnsmasq.log"
trap 'kill $(cat "$TMP/dnsmasq.pid")' EXIT
"""
EXAMPLE = SCRIPT + r"""
LD_PRELOAD="$PY_PRELOAD" ASAN_OPTIONS="$PY_ASAN_OPTIONS" "$PY" examples/dns_http_api.py 2>"$TMP/stderr" &
SERVER=$!
for i in $(seq 100); do curl -s -o /dev/null http://localhost:8080/localhost && break; sleep 0.1; done
for name in localhost a..b www.example.test nonexistent.test; do
    echo "== $name"
    curl -s -i --max-time 20 "http://localhost:8080/$name"
    echo
done
kill -INT $SERVER
set +e
wait $SERVER
echo "== exit $?"
echo "== stderr"
cat "$TMP/stderr"
"""
DEMO = SCRIPT + r"""
LD_PRELOAD="$PY_PRELOAD" ASAN_OPTIONS="$PY_ASAN_OPTIONS" "$PY" examples/demo_http.py </dev/null
echo "== exit $?"
"""


def in_namespace(script, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root for a private network namespace (CI runs as root)")
    (tmp_path / "resolv.conf").write_text(u"nameserver 127.0.0.1\n")
    # Under make test-asan only the Python child gets the sanitizer's preload
    # (support/asan_children.py keeps it from unshare, bash, dnsmasq, curl).
    env = dict(os.environ, TMP=str(tmp_path), PY=sys.executable, DNSMASQ=find_dnsmasq(),
               PYTHONPATH=ROOT, PY_PRELOAD=os.environ.get("LD_PRELOAD", ""),
               PY_ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", ""))
    proc = subprocess.Popen(["unshare", "--net", "--mount", "bash", "-c", script], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.communicate()[0].decode("utf-8", "replace")
    assert proc.returncode == 0, out
    return out


def answers(out):
    sections = {}
    for part in out.split("== ")[1:]:
        name, _, text = part.partition("\n")
        sections[name] = text.replace("\r\n", "\n")
    return sections


@pytest.mark.timeout(120)
def test_the_readme_example_answers_curl(tmp_path):
    got = answers(in_namespace(EXAMPLE, tmp_path))
    assert got["localhost"].startswith("HTTP/1.1 200 OK\n")
    assert got["localhost"].endswith("\n\n127.0.0.1\n\n")
    assert got["a..b"].startswith("HTTP/1.1 400 Bad Request\n")
    assert got["www.example.test"].endswith("\n\n192.0.2.7\n\n")
    nonexistent = got["nonexistent.test"]
    assert nonexistent.startswith("HTTP/1.1 200 OK\n") and "content-length: 0" in nonexistent
    assert nonexistent.endswith("\n\n\n")          # an empty body
    assert got["exit 0"] == ""
    assert got["stderr"] == ""                     # Ctrl-C: no traceback


@pytest.mark.timeout(120)
def test_make_demo_http_part_queries_and_stops(tmp_path):
    out = in_namespace(DEMO, tmp_path)
    assert "GET /localhost              -> 200 OK '127.0.0.1\\n'" in out
    assert "GET /a..b                   -> 400 Bad Request ''" in out
    assert "GET /nonexistent.invalid    -> 200 OK ''" in out
    assert "curl -i http://localhost:8080/localhost" in out
    assert "The server stopped (exit status 0)." in out
    assert "Traceback" not in out
    assert out.rstrip().endswith("== exit 0")
