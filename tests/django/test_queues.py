"""Queue and routing declarations (``pipeline.eri.celery.queues``) and the Celery task definitions."""

from kombu import Exchange

from pipeline.eri.celery import queues, tasks
from pipeline.eri.celery.queues import CELERY_QUEUES, QueueResolver


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
