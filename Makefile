# The two commands of the README: `make demo` and `make test`. Everything else serves them.
SHELL := /bin/bash
VENV ?= .venv
PY313 := $(shell PYENV_VERSION=3.13.0 pyenv which python3.13 2>/dev/null || command -v python3.13)
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv test lint unit demo bench build chromium clean

$(STAMP): pyproject.toml
	@test -n "$(PY313)" || { echo "Python 3.13 not found (try: pyenv install 3.13.0)"; exit 1; }
	test -x $(PY) || $(PY313) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

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

demo: venv
	$(VENV)/bin/danmarkskort demo --out out

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
