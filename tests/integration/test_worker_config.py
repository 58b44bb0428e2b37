"""Worker configuration without services (runs in the unit process): playground settings, CLI wrapper."""

import importlib

import pytest

from pipeline.management.commands.celery import celery_argv
from pipeline.management.commands.celerybeat import Command as CeleryBeatCommand


@pytest.fixture
def playground_settings(monkeypatch):
    """``playground.settings`` as a plain module, loaded with the default environment."""
    for name in (
        "BAMBOO_DB",
        "BAMBOO_BROKER",
        "BAMBOO_QUEUES",
        "BAMBOO_BROKER_HEARTBEAT",
        "BAMBOO_ENABLE_ROLLBACK",
        "BAMBOO_ROLLBACK_QUEUE",
        "BAMBOO_ROLLBACK_QUEUES",
    ):
        monkeypatch.delenv(name, raising=False)
    module = importlib.import_module("playground.settings")
    return importlib.reload(module)


def test_defaults_do_not_stall_gevent_and_survive_worker_loss(playground_settings):
    assert playground_settings.CELERY_BROKER_HEARTBEAT == 0
    assert playground_settings.CELERY_TASK_ACKS_LATE is True
    assert playground_settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert playground_settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert playground_settings.BROKER_URL.startswith("memory://")
    assert {q.name for q in playground_settings.CELERY_QUEUES} >= {"er_execute", "er_schedule"}
    assert (
        playground_settings.CELERY_TASK_ROUTES["pipeline.eri.celery.tasks.execute"]["queue"] == "er_execute"
    )


def test_the_rollback_queue_is_declared_and_rollback_is_off_by_default(playground_settings):
    rollback = [q for q in playground_settings.CELERY_QUEUES if q.name == "rollback"]
    assert [(q.routing_key, q.exchange.name) for q in rollback] == [("rollback", "default")]
    assert playground_settings.ROLLBACK_QUEUE == "rollback"
    assert playground_settings.PIPELINE_ENABLE_ROLLBACK is False
    assert playground_settings.PIPELINE_ENABLE_AUTO_EXECUTE_WHEN_ROLL_BACKED is True


def test_default_database_is_sqlite(playground_settings):
    assert playground_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


def test_mysql_url_selects_the_mysql_backend_on_pymysql(playground_settings):
    database = playground_settings.database_from_url("mysql://bamboo:p%40ss@db.local:3307/bamboo_x")
    assert (database["ENGINE"], database["NAME"], database["USER"], database["PASSWORD"]) == (
        "pipeline.db.mysql",
        "bamboo_x",
        "bamboo",
        "p@ss",
    )
    assert (database["HOST"], database["PORT"]) == ("db.local", "3307")
    assert database["OPTIONS"]["isolation_level"] == "read committed"
    assert database["OPTIONS"]["pool"] is True
    import MySQLdb  # provided by PyMySQL after install_as_MySQLdb()

    assert MySQLdb.__name__ == "pymysql"


def test_postgres_url_selects_django_postgres_backend_with_its_pool(playground_settings, monkeypatch):
    monkeypatch.setenv("BAMBOO_DB_POOL_SIZE", "7")
    database = playground_settings.database_from_url("postgres://bamboo:p%40ss@db.local:5433/bamboo_x")
    assert (database["ENGINE"], database["NAME"], database["USER"], database["PASSWORD"]) == (
        "django.db.backends.postgresql",
        "bamboo_x",
        "bamboo",
        "p@ss",
    )
    assert (database["HOST"], database["PORT"], database["CONN_MAX_AGE"]) == ("db.local", "5433", 0)
    assert database["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 7, "max_idle": 60, "timeout": 60}


def test_postgres_without_the_pool_and_with_driver_options(playground_settings, monkeypatch):
    monkeypatch.setenv("BAMBOO_DB_POOL", "0")
    database = playground_settings.database_from_url("postgresql://u@h/db?connect_timeout=5&sslmode=disable")
    assert database["OPTIONS"] == {"connect_timeout": 5, "sslmode": "disable"}
    assert (database["USER"], database["PORT"]) == ("u", "5432")


@pytest.mark.parametrize(
    "url", ["postgres://x@h/", "mysql://root@127.0.0.1:3306/", "mariadb://x@h", "redis://h/db", "nonsense"]
)
def test_bad_database_url_is_refused_with_its_value(playground_settings, url):
    with pytest.raises(ValueError, match="BAMBOO_DB"):
        playground_settings.database_from_url(url)


def test_celery_wrapper_adds_the_project_app(monkeypatch):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "playground.settings")
    monkeypatch.delenv("CELERY_APP", raising=False)
    argv = ["worker", "-Q", "er_execute,er_schedule", "-P", "gevent", "-c", "500"]
    assert celery_argv(argv) == ["-A", "playground", *argv]


def test_celery_wrapper_keeps_an_explicit_app(monkeypatch):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "playground.settings")
    assert celery_argv(["-A", "proj", "worker"]) == ["-A", "proj", "worker"]
    assert celery_argv(["--app=proj", "inspect", "ping"]) == ["--app=proj", "inspect", "ping"]


def test_celerybeat_wrapper_runs_beat(monkeypatch):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "playground.settings")
    monkeypatch.delenv("CELERY_APP", raising=False)
    assert celery_argv(["-l", "INFO"], CeleryBeatCommand.subcommand) == [
        "-A",
        "playground",
        "beat",
        "-l",
        "INFO",
    ]
