# Motcua's front door. A newcomer runs `make run` or `make test`; both install whatever is missing.
#
#   make run      the local stack on 127.0.0.1 (DynamoDB Local, moto, the API on :3000, pollers, schedules)
#   make demo     with `make run` running: load a demo province and compute its monthly reports
#   make test     ruff, the audit, then the whole suite (unit, integration against the local engines, infrastructure)
#   make fuzz     the long schemathesis profile (1,000 examples per operation and role)
#   make audit    pip-audit of requirements.lock against PyPI's advisory data (a clear skip when unreachable)
#   make lint     ruff, mypy and the import contracts (lint-imports)
#   make package  the Lambda dependency layers (build/layer/<arch>) from requirements.lock's runtime packages
#   make synth    cdk synth with the built layer (runs `make package` first; see README "Deploying")
#   make bench    every benchmarks/*.py (cold_start.py times the handlers from `make package`'s layer)
#   make openapi  regenerate schemas/openapi.json
#   make clean    remove what the targets installed or built (keeps the local data; see clean-data)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# Python 3.11 is what Lambda runs; prefer an explicit python3.11 when the default python3 is another one.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
TOOLS := .local/tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
# Two workers: each starts its own DynamoDB Local and moto, and much of a test's time is waiting on them.
PYTEST_ARGS ?= -n 2 --durations=10

# Install stamps are keyed on the lock files' content, not their timestamps: a fresh clone or a branch
# switch that leaves the locks as they were reinstalls nothing, and any change to them reinstalls.
PY_KEY := $(shell cat requirements.lock pyproject.toml 2>/dev/null | sha256sum | cut -c1-16)
PY_STAMP := $(VENV)/.installed-$(PY_KEY)
NODE_KEY := $(shell sha256sum < package-lock.json 2>/dev/null | cut -c1-16)
# The layers, keyed the same way: on the lock and on what decides how they are built.
LAYER_KEY := $(shell cat requirements.lock pyproject.toml infra/constructs/constants.py infra/constructs/packaging.py \
	2>/dev/null | sha256sum | cut -c1-16)
LAYER_STAMP := build/layer/.packaged-$(LAYER_KEY)
NODE_STAMP := node_modules/.installed-$(NODE_KEY)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CDK_ENV := CDK_DISABLE_CLI_TELEMETRY=true CDK_DISABLE_VERSION_CHECK=true \
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
# The CDK app and the benchmarks run `python`: make it the venv's, with the repo's packages importable.
RUN_ENV := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" PYTHONPATH="$(CURDIR):$(CURDIR)/functions"

.PHONY: help install run test lint package synth bench openapi form-pictures clean clean-data java node-check python-check chromium demo fuzz audit

help:
	@sed -n 's/^#   //p' $(MAKEFILE_LIST)

install: $(PY_STAMP) $(NODE_STAMP) java

run: install
	@$(PY) -m infra.local run

# With `make run` running (another terminal): a generated province (DOSSIERS, 12 months) and its reports.
demo: install
	@$(PY) -m infra.local demo --dossiers $(or $(DOSSIERS),3000)

# ruff and the audit first (seconds), so pytest's summary is the last thing `make test` prints. mypy runs as
# a test (tests/static), beside the others on the second pytest worker rather than before them.
test: install chromium
	@$(VENV)/bin/ruff check .
	@$(MAKE) audit
	@$(PY) -m pytest $(PYTEST_ARGS)

fuzz: install
	@MOTCUA_FUZZ_EXAMPLES=1000 $(PY) -m pytest tests/api/test_fuzz.py $(PYTEST_ARGS)

# pip-audit asks PyPI's JSON API (per release) for advisories. Without a path to it every package comes
# back "not found", and pip-audit still prints "No known vulnerabilities found" and exits 0: so the API is
# probed first, with a release that certainly exists (pip-audit's own), and an unreachable API is reported
# as a skip, never as a pass. When it answers, --strict fails on any package it could not audit.
AUDIT_PROBE := import importlib.metadata as m, json, urllib.request as u; \
	d = json.load(u.urlopen("https://pypi.org/pypi/pip-audit/" + m.version("pip-audit") + "/json", timeout=20)); \
	assert "vulnerabilities" in d

audit: $(PY_STAMP)
	@if reason=$$($(PY) -c '$(AUDIT_PROBE)' 2>&1 | tail -n 1); then \
		$(VENV)/bin/pip-audit -r requirements.lock --no-deps --disable-pip --strict --progress-spinner off; \
	else \
		echo "pip-audit: skipped: no network to the advisory database (PyPI's vulnerability API: $$reason)"; \
	fi

lint: $(PY_STAMP)
	@$(VENV)/bin/ruff check .
	@MYPYPATH=functions:. $(PY) -m mypy functions/motcua schemas infra
	@$(VENV)/bin/lint-imports --no-cache

package: $(LAYER_STAMP)

# One layer for the deployed architecture (infra/constructs/constants.py) and one for this machine's, which
# tests/lambda_tier runs the handlers against. Needs the package registry; an unchanged lock rebuilds nothing.
$(LAYER_STAMP): requirements.lock pyproject.toml | $(PY_STAMP)
	@$(PY) -m infra.constructs.packaging layer
	@rm -f build/layer/.packaged-*
	@touch $@

# Synthesis refuses to run without the built layer (a stack whose functions cannot import would deploy).
synth: $(LAYER_STAMP) $(NODE_STAMP)
	@$(RUN_ENV) $(CDK_ENV) npx cdk synth -q --no-notices

bench: install $(LAYER_STAMP)
	@shopt -s nullglob; files=(benchmarks/*.py); \
	if [ $${#files[@]} -eq 0 ]; then echo "no benchmarks yet"; exit 0; fi; \
	for f in "$${files[@]}"; do \
		case "$$(basename $$f)" in __init__.py|_*) continue;; esac; \
		echo "==> $$f"; $(RUN_ENV) $(PY) "$$f"; \
	done; \
	echo "==> benchmarks/sla.py --burst 10000"; $(RUN_ENV) $(PY) benchmarks/sla.py --burst 10000

openapi: $(PY_STAMP)
	@$(PY) -m schemas.generate_openapi

# The pictures of Forms 01 and 06 in docs/documents.md, from the form tests' samples (pdfium).
form-pictures: $(PY_STAMP)
	@$(PY) -m tests.form_pictures

clean:
	rm -rf $(VENV) node_modules cdk.out $(TOOLS) .local/logs .pytest_cache .ruff_cache .mypy_cache .hypothesis \
		build *.egg-info
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

clean-data:
	rm -rf .local/dynamodb

# --- installs -----------------------------------------------------------------------------------------

python-check:
	@test -n "$(PYTHON)" || { echo "python3 not found: install Python 3.11" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { \
		echo "$(PYTHON) is Python $$($(PYTHON) -c 'import platform; print(platform.python_version())'):" \
			"Motcua needs 3.11 (the Lambda runtime); set PYTHON=/path/to/python3.11" >&2; exit 1; }

# uv lives outside the venv: `uv pip sync` removes whatever the lock does not list, uv included.
$(UV): | python-check
	@echo "==> uv $(UV_VERSION) (in $(TOOLS))"
	@$(PYTHON) -m venv $(TOOLS)
	@$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(PY_STAMP): requirements.lock pyproject.toml | $(UV) python-check
	@echo "==> Python environment ($(VENV)) from requirements.lock"
	@$(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || { \
		rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	@$(UV) pip sync --quiet --python $(PY) requirements.lock
	@$(UV) pip install --quiet --python $(PY) --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

node-check:
	@command -v npm >/dev/null 2>&1 || { \
		echo "==> npm not found: installing nodejs and npm (apt-get)"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }

$(NODE_STAMP): package-lock.json | node-check
	@echo "==> npm packages (DynamoDB Local, CDK CLI, the TypeScript client test, Spectral) from package-lock.json"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# DynamoDB Local 3.x needs Java 17 or later.
java:
	@if ! java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then \
		echo "==> Java 17+ not found: installing openjdk-17-jre-headless (apt-get)"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	fi

# The report test (tests/integration/test_report_browser.py) opens the monthly index's HTML in Debian's
# headless Chromium, driven by the venv's playwright package.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "==> /usr/bin/chromium not found: installing chromium (apt-get)"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi
