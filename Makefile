# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Each creates .venv when missing and installs the project (idempotent: a stamp file
# re-installs only when pyproject.toml changes).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MANIFEST := dbt_project/target/manifest.json
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false

.PHONY: install manifest demo demo-contrast lint test test-fast test-ui bench ui clean study

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PY) -e '.[dev]'
	@touch $(STAMP)

# The dbt manifest is prepared at build time, never parsed at import on production paths.
manifest: $(MANIFEST)

$(MANIFEST): $(STAMP) $(shell find dbt_project -name '*.sql' -o -name '*.yml' 2>/dev/null | grep -v '/target/')
	cd dbt_project && PRESSURE_LAB_DUCKDB=$${PRESSURE_LAB_DUCKDB:-target/parse.duckdb} \
		DBT_LOG_PATH=target/logs ../$(VENV)/bin/dbt parse --quiet --profiles-dir . --target-path target

demo: install manifest
	$(VENV)/bin/pressure-lab demo

# Two underlyings, steering planted on the physically settled one only: the contrast.
demo-contrast: install manifest
	$(VENV)/bin/pressure-lab demo --underlyings SPX,SPY --steer SPY --strength 4 \
		--start 2024-01-01 --end 2024-06-30

lint: install
	$(VENV)/bin/ruff check .

test: install manifest
	$(PY) -m pytest -q -n 2 --dist loadfile -m "not ui"

test-fast: install manifest
	$(PY) -m pytest -q -n 2 --dist loadfile -m "not slow and not ui"

# The Dagster UI in headless Chromium (Debian's chromium, driven by Playwright).
test-ui: install manifest
	$(PY) -m pytest -q -m ui

# Each benchmark runs as a module from the repository root (it imports the installed
# package, benchmarks.results_io and tests.support).
bench: install manifest
	@for b in benchmarks/bench_*.py; do m=benchmarks.$$(basename $$b .py); echo "== $$m"; \
		$(PY) -m $$m || exit 1; done

# The lab's own calibration: false-positive rates and power on seeded synthetic worlds.
study: install manifest
	$(VENV)/bin/pressure-lab study

ui: install manifest
	$(VENV)/bin/pressure-lab ui

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs .pytest_cache .ruff_cache
