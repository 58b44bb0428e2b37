"""The benchmark harness's own logic: what it tells each implementation and how it prints figures.

The runs themselves need MariaDB, RabbitMQ and worker processes (``python -m benchmark``); these checks
keep the parts that decide *what* is measured honest without them.
"""

import pytest

from benchmark import services, upstream_project
from benchmark.cli import parse_args, result_line
from benchmark.implementations import ours, upstream
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
        "broker_msgs": 500,
        "peak_rss_mb": 98.4,
        "worker_cpu_s": 8.54,
        "worker_db_connects": 101,
    }
    line = result_line("17x100", "ours", 1, 100, figures)
    assert line == (
        "scenario=17x100 impl=ours workers=1 concurrency=100 wall_s=17.00 nodes_per_s=100.0 "
        "db_queries_per_node=12.00 broker_msgs_per_node=0.294 peak_rss_mb=98 worker_cpu_s=8.5 "
        "worker_db_connects=101"
    )


def test_worker_counters_are_summed_over_processes():
    stats = [
        {"published": 3, "consumed": 4, "peak_rss_kb": 2048, "statements": 10, "connects": 2, "cpu_s": 1.5},
        {"published": 1, "consumed": 1, "peak_rss_kb": 1024, "statements": 5, "connects": 1, "cpu_s": 0.5},
    ]
    assert combine(stats) == {
        "published": 4,
        "consumed": 5,
        "peak_rss_mb": 3.0,
        "statements": 15,
        "connects": 3,
        "cpu_s": 2.0,
        "complete": True,
    }
