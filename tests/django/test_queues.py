"""Queue and routing declarations (``pipeline.eri.celery.queues``) and the Celery task definitions."""

import uuid

import pytest
from django.test import override_settings
from kombu import Connection, Exchange

from pipeline.eri.celery import queues, tasks
from pipeline.eri.celery.queues import CELERY_QUEUES, DEFAULT_EXCHANGE, QueueResolver
from pipeline.eri.runtime import BambooDjangoRuntime


def test_default_queues():
    assert [q.name for q in CELERY_QUEUES] == ["er_execute", "er_schedule"]
    for queue in CELERY_QUEUES:
        assert queue.exchange == Exchange("default", type="direct")
        assert queue.routing_key == queue.name
        assert queue.max_priority == 255


def test_custom_queue_routes():
    resolver = QueueResolver("api")
    assert resolver.routes_config() == {
        "pipeline.eri.celery.tasks.execute": {"queue": "er_execute_api", "routing_key": "er_execute_api"},
        "pipeline.eri.celery.tasks.schedule": {"queue": "er_schedule_api", "routing_key": "er_schedule_api"},
    }
    assert resolver.resolve_task_queue_and_routing_key(tasks.schedule) == (
        "er_schedule_api",
        "er_schedule_api",
    )
    assert resolver.resolve_task_queue_and_routing_key(queues.EXECUTE_TASK_NAME) == (
        "er_execute_api",
        "er_execute_api",
    )
    assert [q.name for q in resolver.queues()] == ["er_execute_api", "er_schedule_api"]


def test_task_names_and_delivery_options():
    assert tasks.execute.name == "pipeline.eri.celery.tasks.execute"
    assert tasks.schedule.name == "pipeline.eri.celery.tasks.schedule"
    assert tasks.clean_expired_log.name == "pipeline.eri.celery.tasks.clean_expired_log"
    for task in (tasks.execute, tasks.schedule):
        assert task.ignore_result and task.acks_late and task.reject_on_worker_lost


# --- add_queue: declared on the broker with the bindings messages are sent with ------------------
def _ready_messages(connection, queue_name: str) -> int:
    _, messages, _ = connection.default_channel.queue_declare(queue=queue_name, passive=True)
    return messages


def _publish_like_the_runtime(connection, queue: str, task_name: str) -> None:
    # Exchange and routing key as the runtime sends; no declaration: add_queue's bindings must route it.
    _, routing_key = QueueResolver(queue).resolve_task_queue_and_routing_key(task_name)
    connection.Producer().publish({"task": task_name}, exchange=DEFAULT_EXCHANGE, routing_key=routing_key)


@pytest.mark.parametrize("routing_key", ["", "custom_key"])
def test_add_queue_binds_each_queue_with_the_routing_key_its_messages_carry(routing_key):
    # kombu's memory transport keeps one broker per process: a fresh queue name per case.
    name = f"aq{uuid.uuid4().hex[:8]}"
    with override_settings(BROKER_URL="memory://localhost/"):
        BambooDjangoRuntime().add_queue(name, routing_key=routing_key)

    with Connection("memory://localhost/") as connection:
        _publish_like_the_runtime(connection, name, queues.EXECUTE_TASK_NAME)
        _publish_like_the_runtime(connection, name, queues.SCHEDULE_TASK_NAME)
        _publish_like_the_runtime(connection, name, queues.SCHEDULE_TASK_NAME)

        ready = (
            _ready_messages(connection, f"er_execute_{name}"),
            _ready_messages(connection, f"er_schedule_{name}"),
        )
    assert ready == (1, 2)


def test_add_queue_says_that_another_routing_key_is_ignored(caplog):
    name = f"aq{uuid.uuid4().hex[:8]}"
    with override_settings(BROKER_URL="memory://localhost/"):
        BambooDjangoRuntime().add_queue(name, routing_key="custom_key")

    (record,) = [r for r in caplog.records if r.name == "pipeline.eri.imp.extras"]
    assert record.levelname == "WARNING"
    assert "routing_key ignored" in record.getMessage() and f"er_execute_{name}" in record.getMessage()
