# The README's commands. Everything they need is installed from this repository's own files.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint type unit install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(STAMP): $(BIN)/python setup.py
	$(BIN)/pip install -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

type: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest tests

## test: set up the virtualenv and run lint, type checks and the whole suite
test: lint type unit

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
