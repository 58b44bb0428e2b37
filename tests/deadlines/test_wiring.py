"""How the apps sit in a Django project: their cost on a run without configs, the backend choice, the
scanner command and beat tasks, the Redis client of ``REDIS``, the embedded worker's queues."""

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from celery import current_app
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from pipeline.contrib.deadlines.database import DatabaseDeadlinePool
from pipeline.contrib.deadlines.redis_pool import RedisDeadlinePool
from pipeline.contrib.node_timeout.models import TimeoutFiring, TimeoutNodesRecord
from pipeline.contrib.node_timeout.wiring import timeout_pool
from pipeline.contrib.node_timer_event.tasks import scan_node_timer_event_pool
from pipeline.contrib.node_timer_event.wiring import timer_pool
from pipeline.redis_client import build_redis_client, expose_redis_client
from tests.contract.trees import activity, linear_tree

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(transaction=True)
def test_a_run_without_configs_costs_one_config_read_per_app(harness):
    tree = linear_tree(*[activity("empty_node") for _ in range(10)])
    with CaptureQueriesContext(connection) as queries:
        root_id = harness.run_to_end(tree)
    assert harness.state_name(root_id) == "FINISHED"
    touching = [
        q["sql"] for q in queries.captured_queries if "node_timeout_" in q["sql"] or "node_timer_" in q["sql"]
    ]
    assert len(touching) == 2, touching  # the root's configs, once per app and process
    assert all(sql.lstrip().startswith("SELECT") for sql in touching)


@pytest.mark.django_db(transaction=True)
def test_a_broken_backend_setting_does_not_fail_the_node(harness, caplog):
    waiting = activity("empty_node")
    tree = linear_tree(waiting)
    from pipeline.contrib.node_timeout.api import apply_node_timout_configs, batch_create_node_timeout_config

    apply_node_timout_configs(tree, {waiting.id: {"enable": True, "action": "forced_fail", "seconds": 5}})
    batch_create_node_timeout_config(tree["id"], tree)
    with override_settings(PIPELINE_NODE_TIMEOUT_BACKEND="redis"):
        root_id = harness.run_to_end(tree)
    assert harness.state_name(root_id) == "FINISHED"
    assert "arming the timeout of node" in caplog.text


def test_the_backend_is_redis_when_the_project_has_a_client_else_the_database():
    assert isinstance(timeout_pool(), DatabaseDeadlinePool)
    client = redis.Redis(port=1)  # never connected: building a pool sends nothing
    with override_settings(redis_inst=client):
        pool = timeout_pool()
        assert isinstance(pool, RedisDeadlinePool) and pool.client is client
        assert (pool.pool_key, pool.claimed_key) == ("executing_node_pool", "{executing_node_pool}:claimed")
        timers = timer_pool()
        assert timers.pool_key == "bamboo:v1:node_timer_event:executing_node_pool"
        assert timers.node_key("n1") == "{bamboo:v1:node_timer_event:executing_node_pool}:node:n1"
        with override_settings(PIPELINE_NODE_TIMEOUT_BACKEND="database"):
            assert isinstance(timeout_pool(), DatabaseDeadlinePool)
    with override_settings(PIPELINE_NODE_TIMER_EVENT_EXECUTING_POOL="{app}:pool", redis_inst=client):
        assert timer_pool().claimed_key == "{app}:pool:claimed"  # the project's own hash tag is kept
    with override_settings(PIPELINE_NODE_TIMEOUT_BACKEND="redis"), pytest.raises(ImproperlyConfigured):
        timeout_pool()
    with override_settings(PIPELINE_NODE_TIMEOUT_BACKEND="memcached"), pytest.raises(ImproperlyConfigured):
        timeout_pool()


@pytest.mark.django_db(transaction=True)
def test_the_command_dispatches_what_is_due(monkeypatch):
    pool = timeout_pool()
    pool.arm("ngone", [("ngone_vgone", time.time() - 1)])
    out = io.StringIO()
    call_command("start_node_timeout_process", "--once", stdout=out)
    assert "node timeout scanner: 1 deadlines dispatched" in out.getvalue()
    # dispatched and handled (eagerly here): the node has no config, so nothing acted
    assert pool.pending() == 0
    assert TimeoutNodesRecord.objects.count() == 0
    assert TimeoutFiring.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_beat_tasks_run_one_pass():
    assert {
        "pipeline.contrib.node_timeout.tasks.scan_node_timeout_pool",
        "pipeline.contrib.node_timer_event.tasks.scan_node_timer_event_pool",
    } <= set(current_app.tasks)
    timer_pool().arm("n1", [("bamboo:v1:node_timer_event:node:n1:version:v1:index:1", time.time() - 1)])
    assert scan_node_timer_event_pool.apply().get() == 1
    assert timer_pool().pending() == 0


@pytest.mark.django_db(transaction=True)
def test_the_scanner_process_stops_gracefully_on_sigterm():
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="playground.settings",
        BAMBOO_SQLITE_PATH=connection.settings_dict["NAME"],  # the test database: its tables exist
        PYTHONPATH=str(REPO_ROOT),
    )
    scanner = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "manage.py"), "start_node_timer_event_process", "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        first_line = scanner.stdout.readline()
        assert "node timer event scanner: scanning every 0.2 s" in first_line
        scanner.send_signal(signal.SIGTERM)
        rest, _ = scanner.communicate(timeout=30)
    finally:
        if scanner.poll() is None:
            scanner.kill()
    assert scanner.returncode == 0, rest
    assert "node timer event scanner: stopped" in rest


def test_redis_clients_of_each_mode():
    single = build_redis_client({"host": "10.0.0.1", "port": "6380", "password": "pw", "db": 2})
    kwargs = single.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["password"], kwargs["db"]) == ("10.0.0.1", 6380, "pw", 2)

    tls = build_redis_client({"host": "h", "port": 6379, "ssl_ca_certs": "/ca.pem", "ssl_cert_reqs": "none"})
    tls_kwargs = tls.connection_pool.connection_kwargs
    assert tls.connection_pool.connection_class is redis.SSLConnection
    assert (tls_kwargs["ssl_ca_certs"], tls_kwargs["ssl_cert_reqs"]) == ("/ca.pem", "none")

    sentinel = build_redis_client(
        {
            "mode": "replication",
            "host": "s1, s2",
            "port": "26379",
            "service_name": "main",
            "sentinel_password": "sp",
        }
    )
    assert sentinel.connection_pool.service_name == "main"
    assert [
        (c.connection_pool.connection_kwargs["host"])
        for c in sentinel.connection_pool.sentinel_manager.sentinels
    ] == [
        "s1",
        "s2",
    ]

    with pytest.raises(ValueError, match="mode"):
        build_redis_client({"mode": "ring", "host": "h", "port": 1})
    with pytest.raises(ValueError, match="host"):
        build_redis_client({"port": 1})


def test_the_pipeline_app_exposes_the_client_as_upstream_projects_read_it():
    from django.conf import settings

    with override_settings(REDIS={"host": "127.0.0.1", "port": 6390, "db": 1}):
        client = expose_redis_client()
        try:
            assert settings.redis_inst is client and settings.REDIS_INST is client
            assert client.connection_pool.connection_kwargs["port"] == 6390
        finally:
            del settings.redis_inst, settings.REDIS_INST
    own = redis.Redis(port=6391)
    with override_settings(REDIS={"host": "127.0.0.1", "port": 6390}, redis_inst=own):
        assert expose_redis_client() is own
        assert settings.REDIS_INST is own
        del settings.REDIS_INST
    with override_settings(REDIS={"host": "h", "port": 1, "mode": "ring"}):
        assert expose_redis_client() is None  # logged; the apps fall back to the database
        assert not hasattr(settings, "redis_inst")


def test_the_embedded_worker_consumes_the_queues_of_both_apps():
    from pipeline.eri.embedded import _queues_to_consume

    with override_settings(
        PIPELINE_NODE_TIMEOUT_HANDLE_QUEUE="timeouts", PIPELINE_NODE_TIMER_EVENT_DISPATCH_QUEUE="timers"
    ):
        queues = _queues_to_consume(current_app)
    assert {"celery", "timeouts", "timers", "er_execute", "er_schedule"} <= set(queues)


@pytest.mark.django_db
def test_the_root_config_loaders_read_one_roots_rows():
    from pipeline.contrib.node_timeout.models import TimeoutNodeConfig
    from pipeline.contrib.node_timeout.wiring import load_root_configs
    from pipeline.contrib.node_timer_event.models import NodeTimerEventConfig
    from pipeline.contrib.node_timer_event.wiring import load_root_events

    TimeoutNodeConfig.objects.create(root_pipeline_id="r1", node_id="a", action="forced_fail", timeout=5)
    TimeoutNodeConfig.objects.create(root_pipeline_id="r2", node_id="b", action="forced_fail", timeout=7)
    NodeTimerEventConfig.objects.create(root_pipeline_id="r1", node_id="a", events='[{"index": 1}]')
    NodeTimerEventConfig.objects.create(root_pipeline_id="r2", node_id="b")

    assert load_root_configs("r1") == {"a": ("forced_fail", 5)}
    assert load_root_events("r1") == {"a": [{"index": 1}]}
    assert load_root_events("r2") == {"b": []}
    assert load_root_configs("r3") == {} and load_root_events("r3") == {}
