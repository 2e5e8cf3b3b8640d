# `make run` and `make test` each set up .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
WIRE := $(VENV)/bin/wire
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench bench-peers drills clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[build,dev,brokers,openapi,bench,strawberry]'
	touch $(STAMP)

setup: $(STAMP)

# Serve the examples over GraphQL (builds their guests, cached), with their channels on the
# embedded broker, and print how to try the orders message flow (a mutation publishes, a
# guest handler reacts, a subscription shows it). WIRE_PORT, WIRE_BROKER, ... (see docs/serving.md).
run: setup
	$(PY) examples/run.py

# The Debian packages the tests drive are installed when run as root, else listed with the
# command that installs them (scripts/system-deps; their tests are skipped until then).
test: setup
	scripts/system-deps
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The counted delivery drills alone (they run in `make test` too), with their table:
# sent / handled / duplicates / dead-lettered / lost per backend and fault.
drills: setup
	$(PY) -m pytest tests/drills -q -p no:cacheprovider

# Every benchmark, each figure against its floor; issue 11's peers need NATS on
# 127.0.0.1:4222 and take wrk from PATH when installed (apt-get install wrk), else a Python
# client. WIRE_BENCH_QUICK=1: small sizes, one round (a smoke run).
bench: setup
	@command -v wrk >/dev/null || echo "bench: no wrk (apt-get install wrk): GraphQL load from a Python client"
	$(PY) bench/run.py

# Issue 11's part of `make bench` alone: wire against its peers, with the targets.
bench-peers: setup
	@command -v wrk >/dev/null || echo "bench: no wrk (apt-get install wrk): GraphQL load from a Python client"
	$(PY) bench/issue11.py

clean:
	rm -rf $(VENV) .wire-cache .pytest_cache .mypy_cache .ruff_cache
