# The two commands of the README:
#   make run    the sandbox (seeded demo data) plus JupyterLab and Notebook 7 on working copies of
#               notebooks/ (in .demo/notebooks), on 127.0.0.1
#   make test   install everything, then lint, type-check and run the whole test suite twice:
#               under pandas 3 (.venv) and under pandas 2.2 with the official arize SDK
#               (.venv-pandas2, pinned by constraints/pandas2.txt; the SDK needs pandas < 3)
# Both install what they need.
#   make reset-demo   the seeded demo data again (in the running sandbox, or by removing .demo/sandbox.db)

PYTHON      ?= python3
VENV        ?= .venv
BIN         := $(VENV)/bin
PANDAS2     ?= .venv-pandas2
PANDAS2_BIN := $(PANDAS2)/bin
LAB_PORT    ?= 8888
SANDBOX_PORT ?= 8765
PYTEST_ARGS ?=
RUN_ARGS    ?=

.PHONY: run reset-demo test install install-pandas2 browser conformance lint typecheck pytest pytest-pandas2 check reliability clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# pandas 2.2 and the official SDK, as users have them: the whole suite runs here too.
$(PANDAS2_BIN)/python:
	$(PYTHON) -m venv $(PANDAS2)
	$(PANDAS2_BIN)/pip install -q --upgrade pip

$(PANDAS2)/.installed: pyproject.toml constraints/pandas2.txt | $(PANDAS2_BIN)/python
	$(PANDAS2_BIN)/pip install -q -c constraints/pandas2.txt -e '.[test,browser,conformance]'
	$(PANDAS2_BIN)/python -c "import arize, pandas; assert pandas.__version__.startswith('2.2.'), pandas.__version__"
	touch $@

install-pandas2: $(PANDAS2)/.installed

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

# pandas 3: everything but the SDK's conformance tests (the SDK cannot be installed beside pandas 3).
pytest: install browser
	$(BIN)/python -m pytest tests --ignore=tests/conformance $(PYTEST_ARGS)

# pandas 2.2 + arize 8.61.0: everything, conformance included (the SDK is required there), but
# `make run` (the README's own command, run on .venv by the pandas 3 pass).
pytest-pandas2: install-pandas2 browser
	AONB_REQUIRE_SDK=1 $(PANDAS2_BIN)/python -m pytest tests --ignore=tests/test_main_job.py $(PYTEST_ARGS)

# Only the official SDK against the sandbox (in the pandas 2 environment).
conformance: install-pandas2
	AONB_REQUIRE_SDK=1 $(PANDAS2_BIN)/python -m pytest tests/conformance -p no:cacheprovider $(PYTEST_ARGS)

test: lint typecheck pytest pytest-pandas2

clean:
	rm -rf $(VENV) $(PANDAS2) .venv-conformance .pytest_cache .mypy_cache .ruff_cache

reliability: install
	$(BIN)/python scripts/reliability.py
