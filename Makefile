# FundDesk: `make run` starts everything, `make test` checks everything. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $(HOME)/.pyenv)
# The newest installed patch release of each minor version wins; override with PY311=/path/python.
# (pyenv's shims exist for every version but fail outside the selected one: prefer real binaries.)
PY311 ?= $(firstword $(lastword $(sort $(wildcard $(PYENV_ROOT)/versions/3.11.*/bin/python))) $(shell command -v python3.11))
PY310 ?= $(firstword $(lastword $(sort $(wildcard $(PYENV_ROOT)/versions/3.10.*/bin/python))) $(shell command -v python3.10))

VENV := .venv
VENV_RASA := .venv-rasa
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: help setup widget browser nginx run run-prod test check lint-faq bench clean

help:
	@echo "make run    set up (first time only) and start the whole service"
	@echo "make run-prod  the production profile: nginx on 127.0.0.1:8080, two replicas of each process"
	@echo "make test   run every test, ruff and mypy"
	@echo "make bench  run every benchmark and write bench/RESULTS.md"

# Each venv is rebuilt only when its requirements file changes (the stamp records it).
$(VENV)/.stamp: requirements.txt
	@test -n "$(PY311)" || { echo "error: Python 3.11 not found (pyenv install 3.11, or make PY311=/path/to/python3.11)"; exit 1; }
	@test -x $(PY) || $(PY311) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV_RASA)/.stamp: bot/requirements.txt
	@test -n "$(PY310)" || { echo "error: Python 3.10 not found; Rasa 3.6 needs it (pyenv install 3.10.13, or make PY310=/path/to/python3.10)"; exit 1; }
	@test -x $(VENV_RASA)/bin/python || $(PY310) -m venv $(VENV_RASA)
	$(VENV_RASA)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_RASA)/bin/python -m pip install --quiet -r bot/requirements.txt
	@touch $@

# The widget's vendored bundle (web/widget/static/vendor.js: marked + DOMPurify, built by esbuild)
# is committed. npm rebuilds it only when its inputs change: their hash is recorded next to it.
WIDGET := web/widget
widget:
	@cd $(WIDGET) && sum=$$(cat package.json package-lock.json vendor-entry.js | sha256sum | cut -c1-64); \
	if [ "$$sum" != "$$(cat static/vendor.js.inputs 2>/dev/null)" ]; then \
		echo "rebuilding $(WIDGET)/static/vendor.js (npm ci + esbuild)"; \
		npm ci --no-audit --no-fund && npm run build && echo "$$sum" > static/vendor.js.inputs; \
	fi

setup: $(VENV)/.stamp $(VENV_RASA)/.stamp widget

# Browser tests drive Debian's chromium (Playwright's browser downloads are not possible here);
# the font shows the Chinese widget. Skipped when chromium is already installed.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei; }

run: setup
	$(PY) -m funddesk.stack

# The production profile (README: "Production profile") fronts its replicas with Debian's nginx.
nginx:
	@test -x /usr/sbin/nginx || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; }

run-prod: setup nginx
	$(PY) -m deploy

check: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: check browser nginx
	$(PY) -m pytest

lint-faq: setup
	$(PY) -m knowledge_base lint

bench: setup
	$(PY) -m bench

clean:
	rm -rf var .mypy_cache .ruff_cache .pytest_cache
