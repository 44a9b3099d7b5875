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

.PHONY: help python-version install run serve test lint typecheck check audit clean

help:
	@echo "make run    install, load the demonstration data and serve on http://$(HOST):$(PORT)"
	@echo "make test   install and run the whole test suite (SQLite; DATABASE_URL=postgres://... for PostgreSQL)"
	@echo "make serve  the production profile locally (gunicorn, worker, PostgreSQL, Redis) on :8200"
	@echo "make check  ruff, migrations check, mypy, import contract, bandit"

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

# axe-core for the accessibility browser tests (tests/a11y), pinned by package-lock.json; skipped
# without npm (those tests then skip, or fail under CONVERGENCE_REQUIRE_BROWSER).
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --silent; else echo "npm not found: the accessibility tests need axe-core (apt-get install -y npm)"; fi

install: $(BIN)/.installed node_modules/.package-lock.json

run: install
	$(BIN)/convergence migrate --noinput
	CONVERGENCE_DEMO=1 $(BIN)/convergence demo
	@echo
	@echo "Convergence is starting on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	@set -m; CONVERGENCE_DEMO=1 $(BIN)/convergence db_worker --queue-name '*' & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  CONVERGENCE_DEMO=1 $(BIN)/convergence runserver --noreload $(HOST):$(PORT)

# The production profile, locally: PostgreSQL, Redis, gunicorn and the task worker as its own
# processes (docs/operations.md). Plain HTTP here (HTTPS=0): behind a TLS proxy, leave HTTPS on.
SERVE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/convergence_serve
SERVE_CACHE_URL ?= redis://127.0.0.1:6379/1
SERVE_PORT ?= 8200
SERVE_ENV = CONVERGENCE_PROFILE=production HTTPS=0 DATABASE_URL=$(SERVE_DATABASE_URL) \
  CACHE_URL=$(SERVE_CACHE_URL) ALLOWED_HOSTS=127.0.0.1,localhost \
  SECRET_KEY="$${SECRET_KEY:-$$(cat data/serve_secret_key 2>/dev/null || (mkdir -p data && $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' | tee data/serve_secret_key))}"

serve: install
	@createdb -h 127.0.0.1 -U postgres $(notdir $(SERVE_DATABASE_URL)) 2>/dev/null || true
	$(SERVE_ENV) $(BIN)/convergence migrate --noinput
	@# Over plain HTTP the deployment check warns about the secure cookies and HSTS that HTTPS=1 sets.
	$(SERVE_ENV) $(BIN)/convergence check --deploy
	@echo "Convergence (production profile) is starting on http://127.0.0.1:$(SERVE_PORT)/ (Ctrl-C to stop)"
	@set -m; $(SERVE_ENV) $(BIN)/convergence db_worker --queue-name '*' & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(SERVE_ENV) GUNICORN_BIND=127.0.0.1:$(SERVE_PORT) $(BIN)/gunicorn -c deploy/gunicorn.conf.py

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
	$(BIN)/bandit -q -c pyproject.toml -r src

# Known vulnerabilities in the locked dependencies (needs the PyPI/OSV feed; --strict fails when a
# package cannot be audited, so an unreachable feed fails instead of passing silently).
audit: install
	$(BIN)/pip-audit --strict --disable-pip --no-deps -r constraints.txt --progress-spinner off

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
