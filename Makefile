# Leadpipe — one command per loop, the same locally and in CI.
# `make run` and `make test` work on a fresh clone with only Python 3.11 and pip.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LIBS := $(sort $(wildcard libs/*/pyproject.toml))
SERVICES := $(sort $(wildcard services/*/pyproject.toml))
PACKAGES := $(LIBS:/pyproject.toml=) $(SERVICES:/pyproject.toml=)
# Import names of every package, for mypy.
MODULES := $(foreach p,$(PACKAGES),$(notdir $(wildcard $(p)/src/*)))
PYTEST_ARGS ?=

export PIP_CONSTRAINT := $(CURDIR)/constraints.txt
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install run setup test test-unit test-integration check lint typecheck fmt bench lock clean

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): constraints.txt requirements-dev.txt $(LIBS) $(SERVICES)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { $(PYTHON) -m pip install --user virtualenv && $(PYTHON) -m virtualenv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt $(foreach p,$(PACKAGES),-e $(p))
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install every package (editable) with pinned versions

run: $(STAMP) ## Run the whole pipeline locally (embedded NATS/Postgres and simulators by default)
	$(BIN)/leadpipe up

setup: $(STAMP) ## Create streams/consumers and migrate schemas on LEADPIPE_NATS_URL / LEADPIPE_DATABASE_URL
	$(BIN)/leadpipe setup

test: $(STAMP) check ## Lint, type-check, then every unit and integration test (what CI runs)
	$(BIN)/pytest libs services tests-integration $(PYTEST_ARGS)

test-unit: $(STAMP) ## Only the tests that need no servers
	$(BIN)/pytest libs services -m "not integration" $(PYTEST_ARGS)

test-integration: $(STAMP) ## Only the tests on real NATS/Postgres (fixtures start them)
	$(BIN)/pytest libs services tests-integration -m integration $(PYTEST_ARGS)

check: lint typecheck ## ruff format check, ruff lint and mypy --strict

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy $(foreach m,$(MODULES),-p $(m))

fmt: $(STAMP) ## Format and auto-fix lint findings
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP) ## Run the benchmarks in bench/ and print their summary lines (BENCH="gateway …" for some)
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	$(BIN)/python -m bench $(BENCH)

lock: ## Re-pin constraints.txt from a fresh resolution of every package's dependencies
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	PIP_CONSTRAINT= .lockenv/bin/pip install --quiet -r requirements-dev.txt -r requirements-bench.txt $(foreach p,$(PACKAGES),-e $(p))
	.lockenv/bin/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt
	rm -rf .lockenv

clean: ## Remove the virtualenv, caches and local data
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
