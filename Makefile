# `make run` and `make test` each set up .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
WIRE := $(VENV)/bin/wire
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[build,dev,brokers]'
	touch $(STAMP)

setup: $(STAMP)

# Serve the examples over GraphQL (builds their guests, cached); open the printed URLs
# in a browser for GraphiQL. WIRE_PORT, WIRE_HOST, ... configure it (see README).
run: setup
	$(WIRE) serve examples/gateway/typegraph.py examples/math/typegraph.py --watch

test: setup
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: setup
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .wire-cache .pytest_cache .mypy_cache .ruff_cache
