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
	$(PY) -m pip install --quiet -e '.[build,dev,brokers,openapi]'
	touch $(STAMP)

setup: $(STAMP)

# Serve the examples over GraphQL (builds their guests, cached), with their channels on the
# embedded broker, and print how to try the orders message flow (a mutation publishes, a
# guest handler reacts, a subscription shows it). WIRE_PORT, WIRE_BROKER, ... (see README).
run: setup
	$(PY) examples/run.py

test: setup
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: setup
	$(PY) -m pip install --quiet -e '.[build,dev,brokers,openapi,bench]'
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .wire-cache .pytest_cache .mypy_cache .ruff_cache
