"""The database warnings for gevent/eventlet workers (``pipeline.db.checks``).

mysqlclient is not installed here: ``tests.django.mysqlclient_engine`` stands in for Django's MySQL
backend on it. The PyMySQL cases load the real backends (``django.db.backends.mysql``,
``pipeline.db.mysql``) with PyMySQL installed as ``MySQLdb``, as ``playground/settings.py`` does.
"""

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from celery.concurrency.prefork import TaskPool as PreforkPool
from django.core.management import call_command
from django.test import override_settings

from pipeline.db import checks

REPO_ROOT = Path(__file__).resolve().parents[2]
SQLITE = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
MYSQLCLIENT = {"ENGINE": "tests.django.mysqlclient_engine", "NAME": "x"}
DJANGO_MYSQL = {"ENGINE": "django.db.backends.mysql", "NAME": "x"}
POOLED_MYSQL = {"ENGINE": "pipeline.db.mysql", "NAME": "x"}
POSTGRES = {"ENGINE": "django.db.backends.postgresql", "NAME": "x"}
POOLED_POSTGRES = {**POSTGRES, "OPTIONS": {"pool": {"max_size": 20}}}

# The checks read DATABASES only; no connection is made through the overridden entries.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES:UserWarning")


@pytest.fixture(autouse=True)
def pymysql_as_mysqldb():
    import pymysql

    if "MySQLdb" not in sys.modules:
        pymysql.install_as_MySQLdb()
    assert sys.modules["MySQLdb"] is pymysql


def _warnings(databases: dict, **overrides) -> list:
    with override_settings(DATABASES=databases, **overrides):
        return checks.green_pool_database_warnings()


def _ids(databases: dict, **overrides) -> list:
    return [(warning.id, warning.obj) for warning in _warnings(databases, **overrides)]


def test_mysqlclient_in_a_green_worker_names_the_fix_and_the_doc():
    (warning,) = _warnings({"default": MYSQLCLIENT})

    assert (warning.id, warning.level, warning.obj) == (
        "pipeline.W001",
        logging.WARNING,
        "DATABASES['default']",
    )
    assert warning.msg == (
        "tests.django.mysqlclient_engine on the mysqlclient driver (MySQLdb) in a gevent/eventlet worker: "
        "every query blocks all the greenlets of the process."
    )
    assert "pymysql.install_as_MySQLdb()" in warning.hint and '"ENGINE": "pipeline.db.mysql"' in warning.hint
    assert warning.hint.endswith("see docs/workers.md#gevent-and-the-database-driver")


def test_django_mysql_backend_on_pymysql_in_a_green_worker_is_told_about_the_pool():
    (warning,) = _warnings({"default": DJANGO_MYSQL})

    assert (warning.id, warning.obj) == ("pipeline.W002", "DATABASES['default']")
    assert warning.msg == (
        "django.db.backends.mysql in a gevent/eventlet worker: every task opens a new database connection."
    )
    assert warning.hint == (
        'set "ENGINE": "pipeline.db.mysql" (a per-process connection pool); '
        "see docs/workers.md#gevent-and-the-database-driver"
    )


def test_recommended_setup_and_other_databases_get_no_warning():
    assert _ids({"default": POOLED_MYSQL, "logs": SQLITE}) == []


def test_every_database_is_checked_and_silenced_ids_are_left_out():
    databases = {"default": POOLED_MYSQL, "reports": MYSQLCLIENT, "legacy": DJANGO_MYSQL}

    assert _ids(databases) == [
        ("pipeline.W001", "DATABASES['reports']"),
        ("pipeline.W002", "DATABASES['legacy']"),
    ]
    assert _ids(databases, SILENCED_SYSTEM_CHECKS=["pipeline.W001"]) == [
        ("pipeline.W002", "DATABASES['legacy']")
    ]


def test_a_backend_that_does_not_load_is_left_to_django():
    assert _ids({"default": {"ENGINE": "no.such.backend"}}) == []


@pytest.mark.parametrize(
    "pool,green",
    [
        ("gevent", True),
        ("eventlet", True),
        ("celery.concurrency.gevent:TaskPool", True),
        ("prefork", False),
        ("threads", False),
        (PreforkPool, False),
        (None, False),
    ],
)
def test_which_worker_pools_are_green(pool, green):
    assert checks.pool_is_green(pool) is green


def test_gevent_pool_class_is_green():
    from celery.concurrency.gevent import TaskPool as GeventPool

    assert checks.pool_is_green(GeventPool)


def _worker(pool_cls) -> SimpleNamespace:
    return SimpleNamespace(pool_cls=pool_cls)


def test_worker_start_logs_the_warnings_of_a_green_pool(caplog):
    caplog.set_level(logging.WARNING, logger="pipeline.db.checks")
    with override_settings(DATABASES={"default": MYSQLCLIENT}):
        checks.warn_at_worker_start(sender="w@host", instance=_worker("gevent"))

    (record,) = caplog.records
    assert record.levelname == "WARNING"
    assert (
        "(pipeline.W001)" in record.getMessage()
        and "HINT: call pymysql.install_as_MySQLdb()" in record.getMessage()
    )


@pytest.mark.parametrize(
    "pool,databases",
    [
        ("gevent", {"default": POOLED_MYSQL}),  # the recommended setup
        ("prefork", {"default": MYSQLCLIENT}),  # mysqlclient is fine without greenlets
        ("gevent", {"default": SQLITE}),
    ],
)
def test_worker_start_logs_nothing_otherwise(caplog, pool, databases):
    caplog.set_level(logging.DEBUG, logger="pipeline.db.checks")
    with override_settings(DATABASES=databases):
        checks.warn_at_worker_start(sender="w@host", instance=_worker(pool))

    assert caplog.records == []


def test_system_check_is_quiet_in_an_unpatched_process():
    with override_settings(DATABASES={"default": MYSQLCLIENT}):
        assert checks.check_green_pool_database() == []
        # The check is registered under its tag (Django refuses an unknown tag).
        call_command("check", tags=["pipeline"])


def test_the_worker_start_receiver_is_connected_when_django_starts():
    from celery.signals import celeryd_after_setup

    receivers = [ref() for _, ref in celeryd_after_setup.receivers]
    assert checks.warn_at_worker_start in receivers


# A gevent-patched interpreter: ``manage.py check`` there reports the warning like any system check.
_PATCHED_CHECK = textwrap.dedent(
    """
    from gevent import monkey
    monkey.patch_all()

    import io, json, sys
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["pipeline", "pipeline.eri"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
                   "reports": json.loads(sys.argv[1])},
        USE_TZ=True,
    )
    django.setup()
    from django.core.management import call_command

    out = io.StringIO()
    call_command("check", tags=["pipeline"], stdout=out, stderr=out)
    print(json.dumps(out.getvalue()))
    """
)


@pytest.mark.parametrize("database,expected", [(MYSQLCLIENT, "pipeline.W001"), (SQLITE, None)])
def test_system_check_reports_in_a_gevent_patched_process(database, expected):
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-c", _PATCHED_CHECK, json.dumps(database)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout.strip().splitlines()[-1])

    if expected:
        assert (
            f"DATABASES['reports']: ({expected}) tests.django.mysqlclient_engine on the mysqlclient" in output
        )
    else:
        assert "pipeline.W0" not in output


def test_psycopg_imported_before_gevent_waits_in_c_and_is_warned_about():
    """This process imported psycopg unpatched (as a project importing it before gevent would)."""
    import psycopg  # noqa: F401 - what the check looks at

    (warning,) = _warnings({"default": POOLED_POSTGRES})

    assert (warning.id, warning.obj) == ("pipeline.W003", "DATABASES['default']")
    assert "every query blocks all the greenlets" in warning.msg
    assert "PSYCOPG_WAIT_FUNC=wait_select" in warning.hint
    assert warning.hint.endswith("see docs/settings.md#postgresql")


@pytest.mark.parametrize(
    "database,expected", [(POSTGRES, "pipeline.W002"), (POOLED_POSTGRES, None)], ids=["no-pool", "pool"]
)
def test_postgres_in_a_gevent_patched_process(database, expected):
    """psycopg imported after gevent patched the process cooperates: only a missing pool is reported."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-c", _PATCHED_CHECK, json.dumps(database)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout.strip().splitlines()[-1])

    assert "pipeline.W003" not in output
    if expected:
        assert f"DATABASES['reports']: ({expected}) django.db.backends.postgresql in a gevent" in output
        assert 'OPTIONS["pool"]' in output
    else:
        assert "pipeline.W0" not in output
