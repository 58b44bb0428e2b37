"""The benchmark harness's own logic: what it tells each implementation and how it prints figures.

The runs themselves need MariaDB, RabbitMQ and worker processes (``python -m benchmark``); these checks
keep the parts that decide *what* is measured honest without them.
"""

import importlib
import os
from datetime import UTC, datetime, timedelta

import pytest

from benchmark import services, sql_counter, upstream_project
from benchmark.cli import parse_args, ratio_line, result_line, settings_modes
from benchmark.implementations import BENCH_DIR, ours, upstream
from benchmark.scenarios import SCENARIOS
from benchmark.workers import combine


def test_both_sides_connect_without_the_tls_attempt_by_default(monkeypatch):
    monkeypatch.delenv("BAMBOO_BENCH_DRIVER_TLS", raising=False)
    assert services.db_url("bamboo_bench_x").endswith("/bamboo_bench_x?ssl_disabled=true")


def test_driver_tls_preferred_keeps_the_drivers_default(monkeypatch):
    monkeypatch.setenv("BAMBOO_BENCH_DRIVER_TLS", "preferred")
    assert services.db_url("bamboo_bench_x").endswith("/bamboo_bench_x")


def test_db_postgres_points_both_sides_at_postgresql(monkeypatch):
    assert parse_args([]).db == "mariadb"
    assert parse_args(["--db", "postgres"]).db == "postgres"
    monkeypatch.setenv("BAMBOO_BENCH_DB", "postgres")
    for factory in (ours, upstream):
        implementation = factory()
        assert implementation.env()["BAMBOO_DB"] == f"{services.POSTGRES_SERVER}/{implementation.database}"


@pytest.mark.parametrize(
    "url,engine,port",
    [
        ("postgres://bamboo:bamboo@127.0.0.1:5432/bench_x", "django.db.backends.postgresql", 5432),
        ("mysql://root:@127.0.0.1:3306/bench_x?ssl_disabled=true", "django.db.backends.mysql", 3306),
    ],
)
def test_the_upstream_project_settings_follow_the_database_url(monkeypatch, url, engine, port):
    monkeypatch.setenv("BAMBOO_DB", url)
    monkeypatch.setenv("BAMBOO_BROKER", "memory://")
    namespace: dict = {}
    exec(compile(upstream_project._SETTINGS, "bench_upstream/settings.py", "exec"), namespace)
    database = namespace["DATABASES"]["default"]
    assert (database["ENGINE"], database["NAME"], database["PORT"]) == (engine, "bench_x", port)


@pytest.mark.parametrize("factory", [ours, upstream])
def test_a_suffix_gives_a_run_its_own_database_and_vhost(monkeypatch, factory):
    monkeypatch.setenv("BAMBOO_BENCH_SUFFIX", "_b")
    implementation = factory()
    assert implementation.database.endswith("_b") and implementation.vhost.endswith("_b")
    monkeypatch.delenv("BAMBOO_BENCH_SUFFIX")
    assert not factory().database.endswith("_b")


def test_the_result_line_carries_every_figure():
    figures = {
        "nodes": 1700,
        "wall_s": 17.0,
        "db_queries": 20400,
        "db_commits": 11900,
        "broker_msgs": 500,
        "peak_rss_mb": 98.4,
        "worker_cpu_s": 8.54,
        "worker_db_connects": 101,
        "load_1m": [3.126, 2.5],
        "latency_p50_s": 5.123,
        "latency_p99_s": 9.876,
        "ready_rss_mb_per_worker": [90.2, 91.0],
        "peak_rss_mb_per_worker": [120.4, 131.6],
    }
    line = result_line("17x100", "ours", "playground", 1, 100, figures)
    assert line == (
        "scenario=17x100 impl=ours settings=playground workers=1 concurrency=100 wall_s=17.00 "
        "nodes_per_s=100.0 db_queries_per_node=12.00 db_commits_per_node=7.00 broker_msgs_per_node=0.294 "
        "peak_rss_mb=98 worker_cpu_s=8.5 worker_db_connects=101 load_1m=3.13->2.50 latency_p50_s=5.12 "
        "latency_p99_s=9.88 rss_mb_per_worker=90->120,91->132"
    )


def test_a_prepare_line_has_no_latency_or_worker_memory():
    line = result_line(
        "prepare1000", "ours", "playground", 0, 0, {"nodes": 1004, "wall_s": 0.2, "db_queries": 20}
    )
    assert "latency" not in line and "rss_mb_per_worker" not in line
    assert "db_commits_per_node=na" in line


def test_worker_counters_are_summed_over_processes():
    stats = [
        {
            "published": 3,
            "consumed": 4,
            "peak_rss_kb": 2048,
            "ready_rss_kb": 1024,
            "statements": 10,
            "commits": 6,
            "commit_statements": 2,
            "connects": 2,
            "cpu_s": 1.5,
        },
        {"published": 1, "consumed": 1, "peak_rss_kb": 1024, "statements": 5, "connects": 1, "cpu_s": 0.5},
    ]
    assert combine(stats) == {
        "published": 4,
        "consumed": 5,
        "peak_rss_mb": 3.0,
        "peak_rss_mb_per_worker": [2.0, 1.0],
        "ready_rss_mb_per_worker": [1.0, 0.0],
        "statements": 15,
        "commits": 6,
        "commit_statements": 2,
        "connects": 3,
        "cpu_s": 2.0,
        "complete": True,
    }


@pytest.mark.parametrize(
    "sql,autocommit,in_transaction,expected",
    [
        ("COMMIT", False, True, True),
        (b"commit", True, False, True),
        ("INSERT INTO eri_state VALUES (1)", True, False, True),  # the server commits it by itself
        (b"  UPDATE eri_state SET name = 'FINISHED'", True, False, True),
        ("DELETE FROM eri_schedule", True, True, False),  # inside START TRANSACTION ... COMMIT
        ("INSERT INTO eri_state VALUES (1)", False, False, False),  # autocommit off: the COMMIT counts
        ("SELECT 1", True, False, False),
        ("SET AUTOCOMMIT = 0", True, False, False),
        ("ROLLBACK", False, True, False),
        ("", True, False, False),
    ],
)
def test_a_commit_is_a_commit_statement_or_a_write_in_autocommit(sql, autocommit, in_transaction, expected):
    assert sql_counter.is_commit(sql, autocommit, in_transaction) is expected


def test_the_short_pipelines_scenario_is_ten_thousand_three_node_runs():
    scenario = SCENARIOS["short10000"]
    assert (scenario.copies, scenario.nodes_per_copy, scenario.total_nodes) == (10_000, 3, 30_000)
    assert scenario.factory == "linear_pipeline" and scenario.factory_kwargs == {"node_count": 1}


@pytest.fixture
def driver(monkeypatch):
    """``benchmark/driver.py`` as the worker-side scripts see it (its siblings are top-level modules)."""
    monkeypatch.syspath_prepend(str(BENCH_DIR))
    return importlib.import_module("driver")


def test_latency_runs_from_each_start_call_to_its_root_finishing(driver):
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    called_at = {"a": t0, "b": t0 + timedelta(seconds=1)}
    finished_at = {"b": t0 + timedelta(seconds=1.5), "a": t0 + timedelta(seconds=3)}
    assert driver.latencies(called_at, finished_at) == [3.0, 0.5]


def test_percentiles_are_nearest_rank(driver):
    values = [float(value) for value in range(1, 101)]  # 1..100
    assert driver.percentile(values, 0.50) == 50.0
    assert driver.percentile(values, 0.99) == 99.0
    assert driver.percentile([7.0], 0.99) == 7.0
    assert driver.percentile(list(reversed(values)), 1.0) == 100.0


def test_server_cpu_is_read_from_the_servers_proc_entries(tmp_path):
    ticks = os.sysconf("SC_CLK_TCK")

    def process(pid: str, comm: str, utime: int, stime: int) -> None:
        (tmp_path / pid).mkdir()
        (tmp_path / pid / "comm").write_text(comm + "\n")
        # proc(5): pid (comm) state ppid ... field 14 utime, 15 stime; a comm may hold spaces and ")"
        rest = ["S"] + ["0"] * 10 + [str(utime), str(stime)] + ["0"] * 5
        (tmp_path / pid / "stat").write_text(f"{pid} ({comm}) " + " ".join(rest) + "\n")

    process("10", "mariadbd", 3 * ticks, 1 * ticks)
    process("11", "beam.smp", 2 * ticks, 0)
    process("12", "beam.smp", 1 * ticks, 1 * ticks)
    process("13", "python (x)", 50 * ticks, 0)
    (tmp_path / "self").mkdir()
    assert services.server_cpu_seconds(str(tmp_path)) == {"mariadb": 4.0, "rabbitmq": 4.0}


def test_busy_cores_count_user_nice_system_irq_and_softirq(tmp_path):
    ticks = os.sysconf("SC_CLK_TCK")
    # cpu  user nice system idle iowait irq softirq steal
    values = [5, 1, 2, 100, 50, 3, 4, 7]
    (tmp_path / "stat").write_text(
        "cpu  " + " ".join(str(value * ticks) for value in values) + "\ncpu0 1 1 1 1 1 1 1 1\n"
    )
    assert services.machine_busy_seconds(str(tmp_path)) == 15.0


# ---------------------------------------------------------------------------- --settings

STYLE_SETTINGS_FILE = "bench_site/settings.py"


def _style_settings(monkeypatch, url: str) -> dict:
    monkeypatch.setenv("BAMBOO_DB", url)
    monkeypatch.setenv("BAMBOO_BROKER", "amqp://guest:guest@127.0.0.1:5672/bench_x")
    namespace: dict = {}
    source = upstream_project.style_project_files()[STYLE_SETTINGS_FILE]
    exec(compile(source, STYLE_SETTINGS_FILE, "exec"), namespace)
    return namespace


def test_the_upstream_style_project_uses_djangos_mysql_backend_on_its_default_driver(monkeypatch):
    namespace = _style_settings(monkeypatch, "mysql://root:@127.0.0.1:3306/bench_x?ssl_disabled=true")
    database = namespace["DATABASES"]["default"]
    assert database == {
        "ENGINE": "django.db.backends.mysql",
        "NAME": "bench_x",
        "USER": "root",
        "PASSWORD": "",
        "HOST": "127.0.0.1",
        "PORT": 3306,
    }  # no OPTIONS (no PyMySQL option), CONN_MAX_AGE at Django's default
    source = upstream_project.style_project_files()[STYLE_SETTINGS_FILE]
    assert "pymysql" not in source.lower() and "pipeline.db" not in source and "BAMBOO_DB_" not in source


def test_the_upstream_style_project_says_nothing_about_delivery(monkeypatch):
    from pipeline.eri.celery.queues import CELERY_QUEUES

    namespace = _style_settings(monkeypatch, "mysql://root:@127.0.0.1:3306/bench_x")
    assert namespace["BROKER_URL"] == "amqp://guest:guest@127.0.0.1:5672/bench_x"
    assert namespace["CELERY_QUEUES"] is CELERY_QUEUES
    tuning = [name for name in namespace if "ACKS" in name or "PREFETCH" in name or "HEARTBEAT" in name]
    assert tuning == [] and not [name for name in namespace if name.startswith("BAMBOO")]
    celery_app = upstream_project.style_project_files()["bench_site/celery.py"]
    assert 'app.config_from_object("django.conf:settings")' in celery_app and "namespace" not in celery_app


def test_the_upstream_style_project_on_postgres_uses_djangos_postgresql_backend(monkeypatch):
    namespace = _style_settings(monkeypatch, "postgres://bamboo:bamboo@127.0.0.1:5432/bench_x")
    database = namespace["DATABASES"]["default"]
    assert (database["ENGINE"], database["NAME"], database["PORT"]) == (
        "django.db.backends.postgresql",
        "bench_x",
        5432,
    )


def test_both_projects_run_the_same_components():
    path = "bench_components/components/collections/debug.py"
    assert upstream_project.style_project_files()[path] == upstream_project.project_files()[path]


def test_upstream_style_is_one_project_run_from_each_virtualenv(monkeypatch):
    monkeypatch.delenv("BAMBOO_BENCH_DB", raising=False)
    monkeypatch.delenv("BAMBOO_BENCH_SUFFIX", raising=False)
    mine, theirs = ours("upstream-style"), upstream("upstream-style")
    assert mine.project_dir == theirs.project_dir == upstream_project.STYLE_PROJECT_DIR
    assert mine.settings_module == theirs.settings_module == "bench_site.settings"
    assert mine.python != theirs.python
    assert (mine.database, theirs.database) == (
        "bamboo_bench_ours_upstream_style",
        "bamboo_bench_upstream_upstream_style",
    )
    assert (
        mine.env()["BAMBOO_BENCH_MYSQL_DRIVER"] == theirs.env()["BAMBOO_BENCH_MYSQL_DRIVER"] == "mysqlclient"
    )
    assert (mine.label, ours().label) == ("ours-upstream-style", "ours")


def test_the_playground_mode_is_unchanged(monkeypatch):
    monkeypatch.delenv("BAMBOO_BENCH_DB", raising=False)
    monkeypatch.delenv("BAMBOO_BENCH_SUFFIX", raising=False)
    mine, theirs = ours(), upstream()
    assert (mine.settings_module, mine.database) == ("playground.settings", "bamboo_bench_ours")
    assert (theirs.settings_module, theirs.database) == (
        upstream_project.SETTINGS_MODULE,
        "bamboo_bench_upstream",
    )
    assert mine.env()["BAMBOO_BENCH_MYSQL_DRIVER"] == "pymysql"


def test_settings_option_defaults_to_playground_and_both_runs_playground_first():
    assert parse_args([]).settings == "playground"
    assert settings_modes(parse_args(["--settings", "both"])) == ["playground", "upstream-style"]
    assert settings_modes(parse_args(["--settings", "upstream-style"])) == ["upstream-style"]
    with pytest.raises(SystemExit):
        parse_args(["--settings", "tuned"])


def test_the_ratio_line_names_its_settings():
    walls = {"upstream": [4.0, 6.0], "ours": [1.0]}
    assert ratio_line("serial100", "upstream-style", walls) == (
        "scenario=serial100 settings=upstream-style ratio_upstream_over_ours=5.00 upstream_wall_s=5.00 "
        "ours_wall_s=1.00"
    )
    assert ratio_line("serial100", "playground", {"ours": [1.0]}) is None


class FakeMysqlclientConnection:
    """mysqlclient's ``Connection`` as the counter sees it: every method that sends a statement records it
    in ``sent``; ``autocommit`` sends only on a change, as mysqlclient does."""

    def __init__(self, autocommit=False):
        self.sent: list = []
        self.server_autocommit = True  # the server's default; the OK packets keep the flag current
        self.set_character_set("utf8mb4")
        self.autocommit(autocommit)

    def get_autocommit(self):
        return self.server_autocommit

    def query(self, sql):
        self.sent.append(sql)

    def commit(self):
        self.sent.append("COMMIT")

    def rollback(self):
        self.sent.append("ROLLBACK")

    def autocommit(self, on):
        if self.get_autocommit() != on:
            self.sent.append(f"SET autocommit={int(on)}")
            self.server_autocommit = on

    def set_character_set(self, charset, collation=None):
        self.sent.append(f"SET NAMES {charset}")


@pytest.fixture
def counter(monkeypatch):
    """A fresh counter and a fresh fake mysqlclient class wrapped by it."""
    state = {"statements": 0, "commits": 0, "commit_statements": 0, "connects": 0, "paused": 0}
    monkeypatch.setattr(sql_counter, "STATE", state)
    connection_class = type("Connection", (FakeMysqlclientConnection,), {})
    sql_counter.wrap_mysqlclient(connection_class)
    sql_counter.wrap_mysqlclient(connection_class)  # once only
    return connection_class, state


def test_mysqlclient_counts_every_statement_a_new_connection_sends(counter):
    connection_class, state = counter
    connection = connection_class()  # SET NAMES, SET autocommit=0 (PEP 249's default)
    connection.autocommit(True)  # Django turns it on: one more
    connection.autocommit(True)  # no change: nothing sent
    assert connection.sent == ["SET NAMES utf8mb4", "SET autocommit=0", "SET autocommit=1"]
    assert (state["statements"], state["connects"], state["commits"]) == (3, 1, 0)


def test_mysqlclient_commits_are_commit_calls_and_writes_in_autocommit(counter):
    connection_class, state = counter
    connection = connection_class(autocommit=True)
    connection.query("SELECT 1")
    connection.query(b"UPDATE eri_state SET name = 'FINISHED'")  # the server commits it: 1
    connection.autocommit(False)  # Django's atomic()
    connection.query("INSERT INTO eri_schedule VALUES (1)")
    connection.query("SAVEPOINT s1")
    connection.query("ROLLBACK TO SAVEPOINT s1")
    connection.commit()  # 2
    connection.autocommit(True)
    connection.query("BEGIN")  # an explicit transaction in autocommit mode
    connection.query("DELETE FROM eri_schedule")
    connection.query("ROLLBACK TO SAVEPOINT s2")  # still inside it
    connection.query("UPDATE eri_process SET asleep = 1")
    connection.query("COMMIT")  # 3
    connection.query("INSERT INTO eri_state VALUES (2)")  # autocommit again: 4
    connection.rollback()
    assert state["statements"] == len(connection.sent) == 16
    assert (state["commits"], state["commit_statements"]) == (4, 2)


def test_mysqlclient_counts_nothing_while_paused(counter):
    connection_class, state = counter
    with sql_counter.paused():
        connection = connection_class(autocommit=True)
        connection.query("INSERT INTO eri_state VALUES (1)")
        connection.commit()
    assert state == {"statements": 0, "commits": 0, "commit_statements": 0, "connects": 0, "paused": 0}


@pytest.mark.parametrize(
    "driver,wrapped", [("mysqlclient", "mysqlclient"), ("pymysql", "pymysql"), (None, "pymysql")]
)
def test_the_harness_chooses_which_mysql_driver_is_counted(monkeypatch, driver, wrapped):
    calls = []
    monkeypatch.setattr(sql_counter, "_install_psycopg", lambda: False)
    monkeypatch.setattr(sql_counter, "_install_mysqlclient", lambda: calls.append("mysqlclient") or True)
    monkeypatch.setattr(sql_counter, "_install_pymysql", lambda: calls.append("pymysql") or True)
    if driver is None:
        monkeypatch.delenv("BAMBOO_BENCH_MYSQL_DRIVER", raising=False)
    else:
        monkeypatch.setenv("BAMBOO_BENCH_MYSQL_DRIVER", driver)
    assert sql_counter.install() is True
    assert calls == [wrapped]


def test_upstream_style_on_postgres_needs_no_mysqlclient(monkeypatch):
    monkeypatch.setenv("BAMBOO_BENCH_DB", "postgres")
    for factory in (ours, upstream):
        implementation = factory("upstream-style")
        assert not implementation.uses_mysqlclient()
        assert implementation.env()["BAMBOO_DB"].startswith(services.POSTGRES_SERVER)


def test_mysqlclient_is_added_to_the_upstream_venv_once_with_its_own_stamp(monkeypatch, tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    base, extra = tmp_path / "base.txt", tmp_path / "mysqlclient.txt"
    base.write_text("bamboo-pipeline==4.0.6\n")
    extra.write_text("mysqlclient==2.3.2\n")
    installed = []
    monkeypatch.setattr(
        upstream_project.subprocess, "run", lambda command, check: installed.append(command[-1])
    )
    upstream_project.ensure_venv(venv, base)
    upstream_project.ensure_mysqlclient(venv, extra)
    upstream_project.ensure_mysqlclient(venv, extra)
    upstream_project.ensure_venv(venv, base)  # the playground mode: nothing to install again
    assert installed == [str(base), str(extra)]
