# `make run` and `make test` work from a clean clone: they create .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ROUND ?= fixtures/rounds/changzhou-2027.json
PORT ?= 8000

.PHONY: install run report test bench bench-quick load soak lint fmt typecheck fixtures messages compile-messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	mkdir -p var
	$(PY) -m api demo --round $(ROUND) --port $(PORT)

report: $(STAMP)
	mkdir -p var
	$(PY) -m matching compare $(ROUND) --mechanisms stable,optimal
	$(PY) -m matching solve $(ROUND) --out var/changzhou-2027-result.json

# The page tests drive Debian's Chromium (never a downloaded browser), with
# Debian's CJK fonts so that Chinese renders as glyphs, not boxes.
CHROMIUM := /usr/bin/chromium
CJK_FONTS := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
$(CHROMIUM):
	apt-get install -y -q chromium || (apt-get update -q && apt-get install -y -q chromium)
$(CJK_FONTS):
	apt-get install -y -q fonts-noto-cjk || (apt-get update -q && apt-get install -y -q fonts-noto-cjk)

# Both cores (pytest-xdist; each worker its own PostgreSQL database); JOBS=1
# runs the suite in one process.
JOBS ?= 2
test: $(STAMP) $(CHROMIUM) $(CJK_FONTS)
	$(PY) -m pytest -q --durations=15 -n $(JOBS) --dist worksteal

# The pages' message catalog (api/i18n.py): extract every message of the code
# and the templates, merge them into the zh_CN catalog (translate what is new
# there, then compile); tests/unit/test_messages.py fails on any message left
# untranslated and on a compiled catalog older than its source.
LOCALE := api/locale
messages: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k _ --no-location --sort-output \
		--omit-header -o $(LOCALE)/messages.pot .
	$(VENV)/bin/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) --no-wrap \
		--ignore-obsolete

compile-messages: $(STAMP)
	$(VENV)/bin/pybabel compile -d $(LOCALE) --statistics

# The engine's bytecode compiled first, as an installed package has it (where
# PYTHONDONTWRITEBYTECODE is set, each measured run would compile it again).
bench: $(STAMP)
	$(PY) -m compileall -q matching
	$(PY) bench/run.py
	$(PY) bench/imports.py
	$(PY) bench/lists.py
	$(PY) bench/rematch.py

bench-quick: $(STAMP)
	$(PY) -m compileall -q matching
	$(PY) bench/run.py --quick
	$(PY) bench/imports.py --quick
	$(PY) bench/lists.py --quick
	$(PY) bench/rematch.py --quick

# 200 enterprises and 36 colleges writing 5,000 candidates at once, then a solve
# and every college's results: SQLite, then the local PostgreSQL (its public
# schema is dropped first); figures to bench/results/load.md
load: $(STAMP)
	$(PY) bench/load.py --reset

# the whole suite with the long trials at length (`make test` runs them short,
# within 12 minutes): 300 worker kills per database, the API killed mid-write
# 50 times, 300 generated requests per API operation and role, 1,000 examples
# per property, every time limit
soak: $(STAMP) $(CHROMIUM) $(CJK_FONTS)
	SOAK=1 KILL_TRIALS=300 API_KILL_TRIALS=50 FUZZ_EXAMPLES=300 $(PY) -m pytest -q --durations=15 -n $(JOBS) --dist worksteal

lint: $(STAMP)
	$(VENV)/bin/ruff check matching api fixtures tests bench
	$(VENV)/bin/ruff format --check matching api fixtures tests bench

fmt: $(STAMP)
	$(VENV)/bin/ruff format matching api fixtures tests bench
	$(VENV)/bin/ruff check --fix matching api fixtures tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy

fixtures: $(STAMP)
	$(PY) -m fixtures.changzhou --out $(ROUND)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
