# Theo: every chore has one obvious entry point. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CONFIG ?= config/theo.example.toml
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## Create the virtualenv and install Theo with its locked dependencies

run: $(STAMP) ## Migrate the embedded SQLite store and start `theo run` (Ctrl-C stops it)
	$(BIN)/theo db upgrade --config $(CONFIG)
	$(BIN)/theo run --config $(CONFIG)

test: $(STAMP) browser ## Run the whole test suite (unit, integration with PostgreSQL/NATS, e2e, browser)
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

test-unit: $(STAMP) ## Run only the fast unit tests
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

# Debian's Chromium for the browser tests (Playwright drives it; no browser download). Installed when root;
# otherwise the message says how, and the browser tests skip (or fail when CI=true).
browser: ## Install Debian's chromium for the browser tests (apt-get, as root)
	@if [ -n "$$THEO_CHROMIUM" ] || command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium fonts-dejavu-core >/dev/null && echo "installed $$(chromium --version)"; \
	else echo "chromium is absent: 'sudo apt-get install chromium' (or set THEO_CHROMIUM) for the browser tests"; fi

lint: $(STAMP) ## ruff and mypy
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

format: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP) ## Run the benchmarks and rewrite BENCHMARKS.md (BENCH=name for one)
	$(BIN)/python -m benchmarks $(BENCH)

bench-peers: $(STAMP) ## Theo's default path vs backtrader and NautilusTrader (THEO_PEER_BARS=N for a quick run)
	$(BIN)/python -m benchmarks.peers

lock: ## Re-resolve the dependencies and rewrite requirements.lock
	rm -rf /tmp/theo-lock && $(PYTHON) -m venv /tmp/theo-lock
	/tmp/theo-lock/bin/pip install --quiet ".[dev]"
	/tmp/theo-lock/bin/pip freeze --exclude theo > requirements.lock

clean: ## Remove the virtualenv and caches (keeps var/)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

.PHONY: help install run test test-unit browser lint format bench bench-peers lock clean
