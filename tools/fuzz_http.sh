#!/bin/bash
# tools/fuzz_http.sh: `make fuzz-http`.  Makes .venv-fuzz (PYTHON, default
# python3) with atheris from PyPI, builds idiokit._core in place for it, and
# runs fuzz/fuzz_http_parser.py for FUZZ_SECONDS (default 180) with a
# libFuzzer RSS limit, so a crash, an assertion or a leak fails the run.
# Seeds come from fuzz/seeds/http; new corpus entries go to a temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
SECONDS_TO_RUN=${FUZZ_SECONDS:-180}
tools/make_venv.sh "$PY" .venv-fuzz fuzz/requirements.txt
tools/build_ext.sh .venv-fuzz/bin/python
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
PYTHONPATH=$PWD .venv-fuzz/bin/python fuzz/fuzz_http_parser.py "$corpus" fuzz/seeds/http \
    -max_total_time="$SECONDS_TO_RUN" -rss_limit_mb=1024 -max_len=4096 -print_final_stats=1
echo "fuzz-http: no crash, no assertion, RSS under the limit in ${SECONDS_TO_RUN}s"
