# The README's commands. Everything they need is installed from this repository's own files.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MYSQL_STAMP := $(VENV)/.installed-mysql

.PHONY: test lint type unit integration integration-postgres compat install clean

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

## unit: everything but the integration tests (contract suite on memory and django-sqlite included)
unit: install
	$(BIN)/pytest tests -m "not integration"

## integration: real MariaDB, RabbitMQ and Celery workers (tests/integration, contract suite on
## django-mariadb). Its own pytest process: Django is configured there for MariaDB, not SQLite.
integration: install
	BAMBOO_INTEGRATION=1 $(BIN)/pytest tests/integration tests/contract -m integration

## integration-postgres: the contract suite (django-postgres) and the worker-kill, controls, production-layout,
## SQL-layer and deadline-pool integration tests on PostgreSQL (scripts/postgres-setup.sql's role). Its own pytest process.
POSTGRES_TESTS := tests/contract tests/integration/test_worker_crash.py tests/integration/test_chaos_kill.py \
	tests/integration/test_controls_e2e.py tests/integration/test_production_layout.py \
	tests/integration/test_sql_layer_postgres.py tests/integration/test_deadline_pools.py
integration-postgres: install
	BAMBOO_INTEGRATION=1 BAMBOO_IT_DB=postgres $(BIN)/pytest $(POSTGRES_TESTS) -m integration

## compat: an upstream-style project of ours (tests/compat) on a real gevent worker, MariaDB and RabbitMQ,
## with Django's own MySQL backend and mysqlclient (the [mysql] extra; its build needs libmariadb-dev).
## Its own pytest process: Django is configured there with that project's settings.
$(MYSQL_STAMP): $(STAMP)
	$(BIN)/pip install -e '.[dev,mysql]'
	touch $(MYSQL_STAMP)

compat: $(MYSQL_STAMP)
	$(BIN)/pytest tests/compat -m integration

## test: set up the virtualenv and run lint, type checks and the whole suite
test: lint type unit integration integration-postgres compat

.PHONY: chaos
## chaos: the chaos suite (benchmark/README.md): faults injected into real runs, one line per scenario.
## Long (minutes per scenario when pipelines are lost), so not part of `make test`. Starts its own MariaDB
## and RabbitMQ node on ports 3307/5673. CHAOS_ARGS="--scenario kill-one-3s --impl both" to narrow it.
CHAOS_ARGS ?= --impl ours --settings both
chaos: install
	$(BIN)/python -m benchmark.chaos $(CHAOS_ARGS)

.PHONY: demo
## demo: set up the virtualenv, migrate the playground's SQLite database, run two pipelines in-process
demo: install
	$(BIN)/python manage.py migrate --verbosity 0
	$(BIN)/python -m playground.demo

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
