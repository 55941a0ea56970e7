# `make run` and `make test` work from a clean clone: they create .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ROUND ?= fixtures/rounds/changzhou-2027.json

.PHONY: install run report test bench bench-quick lint fmt typecheck fixtures clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	mkdir -p var
	$(PY) -m api demo --round $(ROUND)

report: $(STAMP)
	mkdir -p var
	$(PY) -m matching compare $(ROUND) --mechanisms stable,optimal
	$(PY) -m matching solve $(ROUND) --out var/changzhou-2027-result.json

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) bench/run.py

bench-quick: $(STAMP)
	$(PY) bench/run.py --quick

lint: $(STAMP)
	$(VENV)/bin/ruff check matching fixtures tests bench
	$(VENV)/bin/ruff format --check matching fixtures tests bench

fmt: $(STAMP)
	$(VENV)/bin/ruff format matching fixtures tests bench
	$(VENV)/bin/ruff check --fix matching fixtures tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy

fixtures: $(STAMP)
	$(PY) -m fixtures.changzhou --out $(ROUND)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
