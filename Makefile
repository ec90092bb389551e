# commprefs — the two commands of the quick start are `make serve` and `make test`.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install serve test lint format clean bench-import

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

install: $(STAMP) ## Create .venv and install commprefs with its dev dependencies

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

serve: install ## Run the service on SQLite (commprefs.db); prints a first token on a new database
	$(BIN)/commprefs serve

lint: install ## ruff and mypy (strict on src/)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

test: install lint ## Install, lint, and run every test (SQLite and PostgreSQL)
	$(BIN)/python -m pytest

bench-import: install ## Import and export rates (rows/s) on SQLite and PostgreSQL
	$(BIN)/python bench/import_export.py

format: install ## Apply ruff's formatting and fixes
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean: ## Remove the virtualenv, caches and the local database
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts commprefs.db*
