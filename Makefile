# The two commands of the README: `make demo` and `make test`. Everything else serves them.
# `make serve` shows the demo's site; PORT=N gives demo and serve another port.
SHELL := /bin/bash
VENV ?= .venv
PY313 := $(shell PYENV_VERSION=3.13.0 pyenv which python3.13 2>/dev/null || command -v python3.13)
PY := $(VENV)/bin/python
# Two installs into one .venv: what the demo needs (the package with its local AWS, moto),
# and on top of it the dev tools of `make test` (pytest, Playwright, mypy, cfn-lint, ...).
# Each has its stamp, so `make test` after `make demo` still installs the rest.
DEMO_STAMP := $(VENV)/.installed-demo
DEV_STAMP := $(VENV)/.installed-dev
PORT ?=

.PHONY: venv demo-venv test lint unit demo serve bench build chromium clean

define make_venv
	@test -n "$(PY313)" || { echo "Python 3.13 not found (try: pyenv install 3.13.0)"; exit 1; }
	test -x $(PY) || $(PY313) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
endef

$(DEMO_STAMP): pyproject.toml
	$(make_venv)
	$(PY) -m pip install --quiet -e .
	touch $(DEMO_STAMP)

$(DEV_STAMP): pyproject.toml
	$(make_venv)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP) $(DEMO_STAMP)

demo-venv: $(DEMO_STAMP)

venv: $(DEV_STAMP)

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@bash tests/browser/fetch_axe.sh

# ruff (lint and format), mypy (clean: no baseline), cfn-lint.
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint template.yaml

unit: venv
	$(VENV)/bin/pytest -q

test: venv chromium lint
	$(VENV)/bin/pytest -q

demo: demo-venv
	$(VENV)/bin/danmarkskort demo --out out $(if $(PORT),--port $(PORT))

# The site of the last `make demo` (or run --out out), on the port its mails link to.
serve: demo-venv
	$(VENV)/bin/danmarkskort serve out $(if $(PORT),--port $(PORT))

bench: venv
	$(PY) bench/compute.py
	$(PY) bench/csv_reader.py
	$(PY) bench/xlsx_reader.py
	$(PY) bench/render.py
	$(PY) bench/notify.py
	$(PY) bench/chain.py
	$(PY) bench/cycle.py
	$(PY) bench/cold_start.py

# aws-sam-cli pins its own boto3/cfn-lint/pydantic; it gets a virtualenv of its own so that
# `make test` never depends on it. `sam build` needs python3.13 on PATH (no Docker needed).
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam

$(SAM):
	@test -n "$(PY313)" || { echo "Python 3.13 not found (try: pyenv install 3.13.0)"; exit 1; }
	$(PY313) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet 'aws-sam-cli>=1.140'

# After sam build: hash-based bytecode for every function and the layer (compileall
# --invalidation-mode unchecked-hash; see bench/lambda_package.py), then size and contents.
build: venv $(SAM)
	PATH="$(dir $(PY313)):$$PATH" SAM_CLI_TELEMETRY=0 $(SAM) build
	$(PY313) bench/lambda_package.py compile .aws-sam/build
	$(PY) bench/check_build_size.py .aws-sam/build

clean:
	rm -rf $(VENV) $(SAM_VENV) out .aws-sam .pytest_cache
