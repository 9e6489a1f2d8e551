# The two commands of the README:
#   make run    the sandbox (seeded demo data) plus JupyterLab and Notebook 7 on working copies of
#               notebooks/ (in .demo/notebooks), on 127.0.0.1
#   make test   install everything, then lint, type-check and run the whole test suite
# Both install what they need into .venv (and .venv-conformance for the official SDK).
#   make reset-demo   the seeded demo data again (in the running sandbox, or by removing .demo/sandbox.db)

PYTHON      ?= python3
VENV        ?= .venv
BIN         := $(VENV)/bin
LAB_PORT    ?= 8888
SANDBOX_PORT ?= 8765
PYTEST_ARGS ?=
RUN_ARGS    ?=

.PHONY: run reset-demo test install browser conformance lint typecheck pytest check reliability clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/arize-orgs-nb lab --lab-port $(LAB_PORT) --sandbox-port $(SANDBOX_PORT) $(RUN_ARGS)

reset-demo: install
	$(BIN)/arize-orgs-nb sandbox reset --port $(SANDBOX_PORT) --db .demo/sandbox.db

browser:
	bash scripts/install_browser.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install browser
	$(BIN)/python -m pytest tests --ignore=tests/conformance $(PYTEST_ARGS)

conformance:
	bash scripts/conformance.sh -q

test: lint typecheck pytest conformance

clean:
	rm -rf $(VENV) .venv-conformance .pytest_cache .mypy_cache .ruff_cache

reliability: install
	$(BIN)/python scripts/reliability.py
