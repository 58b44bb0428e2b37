"""The chaos suite's own logic: what each target is told, which faults exist, how figures are printed.

The runs need their own MariaDB, RabbitMQ and worker processes (``python -m benchmark.chaos``); these
checks keep the parts that decide *what* is measured honest without them.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.chaos_run import result_line
from benchmark.chaos_scenarios import DEFAULT_ORDER, SCENARIOS, poison_messages
from benchmark.chaos_targets import CHAOS_PROJECT, make_target

SERVERS = ("mysql://root:@127.0.0.1:3307", "amqp://guest:guest@127.0.0.1:5673")
DELIVERY_SETTINGS = ("CELERY_ACKS_LATE", "CELERY_REJECT_ON_WORKER_LOST", "CELERYD_PREFETCH_MULTIPLIER")


def _target(impl: str, settings: str):
    return make_target(impl, settings, Path(sys.executable), *SERVERS)


def _chaos_settings(mode: str) -> dict:
    """The chaos project's settings module evaluated in a fresh interpreter (it installs PyMySQL)."""
    code = (
        "import json, runpy; s = runpy.run_path('chaos_site/settings.py'); "
        "print(json.dumps({k: v for k, v in s.items() if k.isupper() and k != 'DATABASES'}, default=str))"
    )
    env = dict(
        os.environ, BAMBOO_DB="mysql://root@127.0.0.1:3307/x", BAMBOO_BROKER="amqp://h/x", CHAOS_CELERY=mode
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=CHAOS_PROJECT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_upstream_style_project_says_nothing_about_delivery():
    settings = _chaos_settings("upstream-style")
    assert not [name for name in DELIVERY_SETTINGS if name in settings]
    assert "BROKER_HEARTBEAT" not in settings
    assert settings["BROKER_URL"] == "amqp://h/x"


def test_playground_mode_gives_upstream_the_playgrounds_delivery_settings():
    settings = _chaos_settings("playground")
    assert {name: settings[name] for name in DELIVERY_SETTINGS} == {
        "CELERY_ACKS_LATE": True,
        "CELERY_REJECT_ON_WORKER_LOST": True,
        "CELERYD_PREFETCH_MULTIPLIER": 1,
    }
    assert settings["BROKER_HEARTBEAT"] == 0


def test_ours_in_playground_mode_runs_the_playground_with_the_probes_imported():
    target = _target("ours", "playground")
    env = target.env()
    assert (target.settings_module, target.celery_app) == ("playground.settings", "playground")
    assert env["BAMBOO_CELERY_IMPORTS"] == "chaos_probe.probes"
    assert str(CHAOS_PROJECT) in env["PYTHONPATH"].split(os.pathsep)


@pytest.mark.parametrize(
    "impl, settings", [("ours", "upstream-style"), ("upstream", "upstream-style"), ("upstream", "playground")]
)
def test_the_chaos_project_serves_every_other_target(impl, settings):
    target = _target(impl, settings)
    assert (target.settings_module, target.celery_app, target.cwd) == (
        "chaos_site.settings",
        "chaos_site",
        CHAOS_PROJECT,
    )
    assert target.env()["CHAOS_CELERY"] == settings


def test_each_target_has_its_own_database_and_vhost():
    targets = [
        _target(impl, mode) for impl in ("ours", "upstream") for mode in ("upstream-style", "playground")
    ]
    assert len({target.database for target in targets}) == len({target.vhost for target in targets}) == 4
    assert all(target.db_url.startswith(SERVERS[0]) for target in targets)


def test_the_environment_of_the_caller_does_not_leak_into_a_target(monkeypatch):
    monkeypatch.setenv("BAMBOO_DB", "sqlite")
    monkeypatch.setenv("CHAOS_FAULT", "duplicate")
    env = _target("ours", "upstream-style").env()
    assert env["BAMBOO_DB"].startswith(SERVERS[0]) and "CHAOS_FAULT" not in env


def test_all_runs_every_scenario_and_each_injects_a_fault_or_is_a_reference():
    assert set(DEFAULT_ORDER) == set(SCENARIOS)
    for scenario in SCENARIOS.values():
        assert scenario.inject is not None or scenario.process_fault or scenario.name == "baseline"


def test_server_faults_fire_mid_run_and_kills_at_the_issue_times():
    assert {name: SCENARIOS[name].at_s for name in ("kill-one-1s", "kill-one-3s", "kill-one-6s")} == {
        "kill-one-1s": 1,
        "kill-one-3s": 3,
        "kill-one-6s": 6,
    }
    for name in ("broker-stop-10s", "db-restart", "db-kill-connections"):
        assert SCENARIOS[name].at_progress == 0.3


def test_poison_messages_include_a_body_no_decoder_accepts_and_unknown_ids():
    messages = poison_messages("x")
    raw = [body for _task, body in messages if isinstance(body, bytes)]
    assert raw and all(_not_json(body) for body in raw)
    kwargs = [body[1] for _task, body in messages if isinstance(body, list)]
    assert any(item.get("process_id") == 2**40 and "schedule_id" not in item for item in kwargs)
    assert any(item.get("schedule_id") == 2**40 for item in kwargs)
    assert "chaos.no_such_task" in [task for task, _body in messages]


def _not_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return True
    return False


def test_the_result_line_starts_with_the_issue_figures_and_says_na_for_the_unmeasured():
    figures = {
        "pipelines": 50,
        "finished": 47,
        "double_finished": 0,
        "services_executed_twice": 4,
        "lost": 3,
        "recover_s": None,
        "failed": 0,
        "reentered": 0,
        "fault_at_s": 3.2,
        "progress_at_fault": 0.9,
        "wall_s": 34.2,
        "leftover_msgs": 0,
        "probe_errors": 0,
    }
    line = result_line(_target("ours", "playground"), "kill-one-3s", figures)
    assert line == (
        "scenario=kill-one-3s pipelines=50 finished=47 double_finished=0 services_executed_twice=4 lost=3 "
        "recover_s=na impl=ours settings=playground failed=0 reentered=0 fault_at_s=3.2 "
        "progress_at_fault=0.9 wall_s=34.2 leftover_msgs=0 probe_errors=0"
    )
