"""Celery wiring: task names, queue routing, eager mode end to end; and the committed migration."""

import io

import pytest
from celery import current_app
from django.core.management import call_command
from django.test import override_settings
from kombu import Queue

from pipeline.contrib.plugin_execute import api, dispatch, states, tasks
from pipeline.contrib.plugin_execute.queues import EXECUTE_TASK_NAME, SCHEDULE_TASK_NAME, queues
from tests.plugin_execute.helpers import started, state_of


def test_tasks_have_their_published_names():
    assert (tasks.execute.name, tasks.schedule.name) == (
        "pipeline.contrib.plugin_execute.tasks.execute",
        "pipeline.contrib.plugin_execute.tasks.schedule",
    )
    assert (tasks.execute.name, tasks.schedule.name) == (EXECUTE_TASK_NAME, SCHEDULE_TASK_NAME)


def test_queues_helper_declares_the_queue_by_name():
    (default,) = queues()
    (custom,) = queues("pe_custom")

    assert isinstance(default, Queue)
    assert (default.name, default.routing_key, custom.name, custom.routing_key) == (
        "plugin_execute",
        "plugin_execute",
        "pe_custom",
        "pe_custom",
    )


@pytest.mark.parametrize("configured,expected", [(None, "plugin_execute"), ("pe_other", "pe_other")])
def test_messages_go_to_the_configured_queue(monkeypatch, configured, expected):
    sent = []

    def recorder(name):
        # ``argsrepr``/``kwargsrepr`` only feed Celery's monitoring.
        return lambda **options: sent.append((name, {k: v for k, v in options.items() if "repr" not in k}))

    monkeypatch.setattr(tasks.execute, "apply_async", recorder("execute"))
    monkeypatch.setattr(tasks.schedule, "apply_async", recorder("schedule"))
    overrides = {"PLUGIN_EXECUTE_QUEUE": configured} if configured else {}

    with override_settings(**overrides):
        dispatch.publish(EXECUTE_TASK_NAME, {"task_id": 1, "invoke_count": 1}, None)
        dispatch.publish(SCHEDULE_TASK_NAME, {"task_id": 1}, 4)

    assert sent == [
        (
            "execute",
            {"kwargs": {"task_id": 1, "invoke_count": 1}, "queue": expected, "routing_key": expected},
        ),
        (
            "schedule",
            {"kwargs": {"task_id": 1}, "queue": expected, "routing_key": expected, "countdown": 4},
        ),
    ]


def test_an_early_schedule_message_waits_longer_each_time_up_to_a_cap():
    assert [tasks.wait_countdown(retries) for retries in (0, 1, 2, 4, 5, 50)] == [0.5, 1, 2, 8, 10, 10]


@pytest.fixture
def eager_celery():
    conf = current_app.conf
    saved = (conf.task_always_eager, conf.task_eager_propagates)
    conf.task_always_eager, conf.task_eager_propagates = True, True
    yield
    conf.task_always_eager, conf.task_eager_propagates = saved


def test_run_callback_and_retry_in_celery_eager_mode(transactional_db, eager_celery):
    finished = started("example_component", {"message": "eager"})
    waiting = started("callback_node")
    failing = started("factorial", {"n": -2})

    assert state_of(finished)["outputs"] == {"message": "eager", "_result": True}
    assert state_of(waiting)["state"] == states.RUNNING
    assert api.callback(waiting, {"ok": True}).result
    assert state_of(waiting)["state"] == states.FINISHED
    assert state_of(failing)["state"] == states.FAILED
    assert api.retry(failing, inputs={"n": 3}).result
    assert (state_of(failing)["state"], state_of(failing)["outputs"]["factorial_of_n"]) == (
        states.FINISHED,
        6,
    )


def test_poll_plugin_in_celery_eager_mode(transactional_db, eager_celery):
    task_id = started("pe_three_polls")

    assert (state_of(task_id)["state"], state_of(task_id)["outputs"]["polls"]) == (states.FINISHED, 3)


def test_migrations_match_the_models(db):
    out = io.StringIO()
    call_command("makemigrations", "plugin_execute", check=True, dry_run=True, stdout=out, stderr=out)
