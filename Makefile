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
	$(PY) -m pip install --quiet -e '.[build,dev]'
	touch $(STAMP)

setup: $(STAMP)

# The main job on the embedded default: build the example guest (cached), then call it.
run: setup
	$(WIRE) build examples/math/guest
	$(WIRE) call examples/math/typegraph.py add '{"a": 11, "b": 2}'
	$(WIRE) call examples/math/typegraph.py range '{"a": 1, "b": 4}'
	$(WIRE) call examples/math/typegraph.py greet '{"name": "wire"}'

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
