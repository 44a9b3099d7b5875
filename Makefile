# Convergence — the two commands a newcomer needs:
#   make run    install, migrate, load the referential and the demonstration data, serve on :8000
#   make test   install and run the whole test suite
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
# pyenv reads .python-version (3.13); without pyenv, python3 on the PATH is used.
PYTHON ?= $(shell command -v pyenv >/dev/null 2>&1 && pyenv which python3 2>/dev/null || command -v python3.13 || command -v python3)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: help python-version install run test lint typecheck check clean

help:
	@echo "make run    install, load the demonstration data and serve on http://$(HOST):$(PORT)"
	@echo "make test   install and run the whole test suite (SQLite; DATABASE_URL=postgres://... for PostgreSQL)"
	@echo "make check  ruff, migrations check and mypy"

python-version:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || { \
	  echo "error: Convergence needs Python >= 3.12 (Django 6.1); '$(PYTHON)' is $$($(PYTHON) --version 2>&1)." >&2; \
	  echo "       Install Python 3.13 (pyenv install 3.13) or run: make PYTHON=/path/to/python3.13 ..." >&2; exit 1; }

$(BIN)/.installed: pyproject.toml constraints.txt | python-version
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || { \
	  echo "error: $(VENV) was made with an old Python; remove it (rm -rf $(VENV)) and retry." >&2; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/convergence migrate --noinput
	CONVERGENCE_DEMO=1 $(BIN)/convergence demo
	@echo
	@echo "Convergence is starting on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	@set -m; CONVERGENCE_DEMO=1 DEBUG=1 $(BIN)/convergence db_worker --queue-name '*' & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  CONVERGENCE_DEMO=1 DEBUG=1 $(BIN)/convergence runserver --noreload $(HOST):$(PORT)

test: install
	@$(BIN)/python -m tests.browser_check
	CONVERGENCE_TESTING=1 $(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	CONVERGENCE_TESTING=1 $(BIN)/mypy src

check: lint typecheck
	CONVERGENCE_TESTING=1 $(BIN)/convergence makemigrations --check --dry-run
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
