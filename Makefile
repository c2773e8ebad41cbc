# Makefile: the entry points for developers and CI.  On a fresh machine
# `make demo` and `make test` install whatever is missing (Debian packages,
# the .venv virtual environment), build idiokit._core in place and run.
# The steps themselves live in tools/*.sh; this file only wires them.
#
# Knobs: PYTHON (interpreter of .venv, default python3), PYTEST_ARGS (extra
# pytest arguments, e.g. PYTEST_ARGS="-x tests/test_pipe.py"), PYTHONS (the
# versions test-all tries), IDIOKIT_DEBUG=1 / IDIOKIT_ASAN=1 (see setup.py),
# DEBUG_BUILD_PYTHON (the X.Y test-debug uses, default 3.13), REFLEAK=W:R.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
VPY := $(VENV)/bin/python
PYTEST_ARGS ?=
MAKEFLAGS += --no-print-directory
DEBUG_BUILD_PYTHON ?= 3.13

.DEFAULT_GOAL := help
.PHONY: fuzz-http help deps system-deps venv build check-capi test test-all test-asan test-debug test-refcount test-valgrind test-load fuzz soak wheels test-wheels bench bench-report demo docs typecheck clean distclean

help:
	@echo "make demo       build, then run examples/demo.py (streams at work) and"
	@echo "                examples/demo_http.py (the README's DNS-over-HTTP example)"
	@echo "make test       install what is missing, build, check the C-API use, run the tests"
	@echo "make test-all   the same on every Python found (2.7, 3.8-3.13), plus 'pip install .'"
	@echo "make test-asan  the tests against an AddressSanitizer + UBSan build"
	@echo "make test-debug the tests against a debug build (C asserts on) on DEBUG_BUILD_PYTHON (3.13)"
	@echo "make test-valgrind  core/socket/DNS tests under valgrind memcheck (no leak, no invalid access)"
	@echo "make test-load  100,000 short connections in a row; 5,000 idle connections while others are served"
	@echo "make fuzz       each atheris target of tests/fuzz for FUZZ_SECONDS (60)"
	@echo "make soak       the mixed load for SOAK_SECONDS (600): RSS, fds, live counters flat"
	@echo "make test-refcount  core/socket/DNS tests on python3.11-dbg, each repeated, failing on reference growth"
	@echo "make wheels     sdist and one manylinux wheel per Python found (2.7, 3.8-3.13) into dist/"
	@echo "make test-wheels  make wheels, then install each into a fresh venv and run it (tests/test_packaging.py)"
	@echo "make build      build idiokit._core in place (.venv)"
	@echo "make deps       Debian packages (when root) and the .venv virtual environment"
	@echo "make check-capi fail if a built idiokit/_core*.so uses private CPython symbols"
	@echo "make bench      run the benchmarks (bench/run.py) in bench/.venv; redraws the charts"
	@echo "make bench-report  measure nothing: RESULTS.md and the charts again from bench/results.json"
	@echo "make fuzz-http  fuzz the llhttp binding with atheris (FUZZ_SECONDS, default 180)"
	@echo "make docs       build the Sphinx docs into docs/_build/html (.venv-docs)"
	@echo "make typecheck  mypy and stubtest on the type stubs idiokit/*.pyi (.venv-types)"
	@echo "make clean      remove build products; 'make distclean' also the virtual environments"

# Debian packages (installs only what is missing), then .venv.
deps: system-deps venv

system-deps:
	@tools/install_system_deps.sh

venv:
	@tools/make_venv.sh $(PYTHON) $(VENV)

build: venv
	@tools/build_ext.sh $(VPY)

check-capi:
	@tools/check_private_capi.sh

test: deps
	@tools/build_ext.sh $(VPY)
	@tools/check_private_capi.sh "$$($(VPY) tools/ext_path.py)"
	@tools/run_pytest.sh $(VPY) $(PYTEST_ARGS)

test-all: system-deps
	@tools/test_all.sh

test-asan: deps
	@tools/test_asan.sh $(VPY) $(PYTEST_ARGS)

test-debug: system-deps
	@tools/test_debug.sh $(DEBUG_BUILD_PYTHON) $(PYTEST_ARGS)

test-valgrind: deps
	@tools/build_ext.sh $(VPY)
	@tools/test_valgrind.sh $(VPY) $(PYTEST_ARGS)

test-load: deps
	@tools/build_ext.sh $(VPY)
	IDIOKIT_LOAD=1 tools/run_pytest.sh $(VPY) -s tests/test_load.py $(PYTEST_ARGS)

fuzz: system-deps
	@tools/fuzz.sh

soak: deps
	@tools/build_ext.sh $(VPY)
	@$(VPY) tools/soak.py --seconds $${SOAK_SECONDS:-600}

test-refcount: system-deps
	@tools/test_refcount.sh $(PYTEST_ARGS)
# PYTHONS="3.11 2.7" limits both to some interpreters.
wheels: system-deps
	@tools/build_wheels.sh

test-wheels: wheels
	@tools/test_wheels.sh

# bench/setup_venv.sh (the benchmarks' own) makes bench/.venv with the peers of
# bench/requirements.txt and idiokit built from this tree; bench/run.py takes
# no arguments.  Each run ends by redrawing the charts of docs/_static/bench/
# (bench/charts.py); bench-report only redraws them, and bench/RESULTS.md, from the
# committed bench/results.json, in a small venv of matplotlib alone.
bench: system-deps
	@test -f bench/run.py || { echo "bench: bench/run.py is missing" >&2; exit 1; }
	sh bench/setup_venv.sh
	bench/.venv/bin/python bench/run.py

bench-report:
	@tools/make_venv.sh $(PYTHON) .venv-charts bench/requirements-charts.txt
	.venv-charts/bin/python bench/run.py --report-only

demo: deps
	@tools/build_ext.sh $(VPY)
	PYTHONPATH=$(CURDIR) $(VPY) examples/demo.py
	PYTHONPATH=$(CURDIR) $(VPY) examples/demo_http.py

fuzz-http: system-deps
	@tools/fuzz_http.sh

docs: build
	@tools/make_venv.sh $(PYTHON) .venv-docs tools/requirements-docs.txt
	PYTHONPATH=$(CURDIR) .venv-docs/bin/python -m sphinx -W -b html docs docs/_build/html

# The stubs (idiokit/*.pyi) against the in-place build: tools/typecheck.sh.
typecheck: build
	@tools/make_venv.sh $(PYTHON) .venv-types tools/requirements-types.txt
	@tools/typecheck.sh .venv-types/bin/python

clean:
	rm -rf build dist .pytest_cache docs/_build *.egg-info
	rm -f idiokit/_core*.so
	find . -path ./.git -prune -o -name '.venv*' -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf .venv .venv-*
