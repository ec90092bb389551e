# commprefs — the two commands of the quick start are `make serve` and `make test`.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The browser tests drive Debian's Chromium through Playwright (Playwright's own browser
# downloads are not used).
CHROMIUM ?= /usr/bin/chromium

.DEFAULT_GOAL := help
.PHONY: help install serve test lint format clean bench bench-import bench-inprocess bench-hardening bench-reset bench-console profile wrk

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

NODE_STAMP := node_modules/.installed

install: $(STAMP) $(NODE_STAMP) $(CHROMIUM) ## Install .venv (commprefs, dev tools) and node_modules (test clients)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(CHROMIUM):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# HubSpot's Node client, for the e2e tests (package-lock.json pins it).
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

serve: $(STAMP) ## Run the service on SQLite (commprefs.db); prints a first token on a new database
	$(BIN)/commprefs serve

lint: install ## ruff, mypy (strict on src/ and bench/) and the layering contracts (import-linter)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Two processes, one test file at a time each (a file's module-scoped servers stay in one
# process): on the 2-core machine the suite took 6 min 29 s this way, 9 min 32 s in one process.
test: install lint ## Install, lint, and run every test (SQLite and PostgreSQL)
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench-import: install ## Import and export rates (rows/s) on SQLite and PostgreSQL
	$(BIN)/python -m bench.import_export

bench-inprocess: install ## CPU µs per request, app called in-process: [WORKLOAD=W2] [BACKEND=postgres]
	$(BIN)/python -m bench.inprocess $(or $(WORKLOAD),all) --backend $(or $(BACKEND),sqlite)

bench-console: install ## The console overview's queries at 1M subscribers: [SUBSCRIBERS=N]
	$(BIN)/python -m bench.console_dashboard --subscribers $(or $(SUBSCRIBERS),1000000)

bench-hardening: install ## Measure the cost of rate limiting and Idempotency-Key (needs Redis)
	$(BIN)/python -m bench.hardening

format: install ## Apply ruff's formatting and fixes
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# Benchmarks are never part of `make test`. BENCH_QUICK=1: small data and short runs (minutes);
# BENCH_ARGS passes options to the driver (python -m bench --help), e.g. --suites sqlite.
BENCH_STAMP := $(VENV)/.bench-installed
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

wrk:
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get update && $(SUDO) apt-get install -y wrk; }

bench: $(BENCH_STAMP) wrk ## Service vs baseline under wrk (SQLite, PostgreSQL, 2 workers, scale); the emulator's reset
	$(BIN)/python -m bench $(if $(BENCH_QUICK),--quick) $(BENCH_ARGS)
	$(BIN)/python -m bench.reset

bench-reset: install ## The emulator's reset: median ms (10 types, 100 statuses, SQLite)
	$(BIN)/python -m bench.reset

profile: $(BENCH_STAMP) wrk ## py-spy profile of one workload: PROFILE=W1 [BACKEND=sqlite]
	$(BIN)/python -m bench.profile $(or $(PROFILE),W1) --backend $(or $(BACKEND),sqlite)

clean: ## Remove the virtualenv, caches and the local database
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .import_linter_cache test-artifacts commprefs.db*
