# Theo: every chore has one obvious entry point. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CONFIG ?= config/theo.example.toml
PYTEST_ARGS ?=
WEB_STAMP := web/node_modules/.installed-stamp
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json

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

$(WEB_STAMP): web/package-lock.json web/package.json
	cd web && npm ci --no-audit --no-fund
	touch $(WEB_STAMP)

web/dist/index.html: $(WEB_STAMP) $(WEB_SOURCES)
	cd web && npm run build

web: web/dist/index.html ## Build the dashboard (npm ci when web/package-lock.json changed, then vite build into web/dist)

install: $(STAMP) web ## Create the virtualenv and install Theo with its locked dependencies; build the dashboard

run: $(STAMP) web ## Migrate the embedded SQLite store and start `theo run` (Ctrl-C stops it)
	$(BIN)/theo db upgrade --config $(CONFIG)
	$(BIN)/theo users first-admin --config $(CONFIG)
	$(BIN)/theo run --config $(CONFIG)

test: $(STAMP) web browser test-web ## Run the whole test suite (dashboard unit tests, then unit, integration with PostgreSQL/NATS, e2e, browser)
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m browser $(PYTEST_ARGS)

test-web: $(WEB_STAMP) ## Run the dashboard's unit tests (Vitest)
	cd web && npm test

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

lint: $(STAMP) $(WEB_STAMP) ## ruff and mypy; eslint and tsc for the dashboard
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	cd web && npm run lint && npm run typecheck

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

gen-api: $(STAMP) $(WEB_STAMP) ## Regenerate the dashboard's API types from the app's OpenAPI document
	$(BIN)/python -m theo.api.openapi > web/openapi.json
	cd web && npm run gen:api

clean: ## Remove the virtualenv, the dashboard's node_modules and build, and caches (keeps var/)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache web/node_modules web/dist

.PHONY: help install web run test test-web test-unit browser lint gen-api format bench bench-peers lock clean
