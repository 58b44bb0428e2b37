"""A project with upstream-style Celery settings gets the runtime's delivery guarantees all the same.

The worker runs ``celery -A tests.integration.upstream_style_celery`` with ``BAMBOO_CELERY_STYLE=upstream``:
the playground's settings without any of our Celery tuning (no late acknowledgement, no requeue on
worker loss, no prefetch multiplier, no heartbeat setting). What the runtime needs is set by the runtime
(task options and ``pipeline.eri.celery.maintenance``), as the worker itself reports it.
"""

import pytest

from tests.integration.env import Worker
from tests.integration.helpers import start, wait_finished
from tests.trees import normal_pipeline

pytestmark = pytest.mark.integration

QUEUE = "ups"
CONCURRENCY = 10
UPSTREAM_STYLE = {"BAMBOO_CELERY_STYLE": "upstream"}
RUNTIME_TASKS = (
    "pipeline.eri.celery.tasks.execute",
    "pipeline.eri.celery.tasks.schedule",
    "pipeline.contrib.plugin_execute.tasks.execute",
    "pipeline.contrib.plugin_execute.tasks.schedule",
)


@pytest.fixture(scope="module")
def upstream_worker(it_session):
    queues = [f"er_execute_{QUEUE}", f"er_schedule_{QUEUE}"]
    worker = Worker(
        it_session,
        "upstream-settings",
        "gevent",
        CONCURRENCY,
        queues,
        UPSTREAM_STYLE,
        app="tests.integration.upstream_style_celery",
    )
    worker.start()
    yield worker
    worker.stop()


def _inspect(worker):
    from celery import current_app

    return current_app.control.inspect([worker.nodename], timeout=5)


def test_the_runtime_tasks_acknowledge_late_and_requeue_on_worker_loss(upstream_worker):
    replies = _inspect(upstream_worker).registered("acks_late", "reject_on_worker_lost") or {}

    entries = {line.split(" ")[0]: line for line in replies.get(upstream_worker.nodename, [])}
    for name in RUNTIME_TASKS:
        assert "acks_late=True" in entries[name] and "reject_on_worker_lost=True" in entries[name], entries[
            name
        ]


def test_the_consumer_prefetches_one_message_per_pool_slot(upstream_worker):
    stats = (_inspect(upstream_worker).stats() or {})[upstream_worker.nodename]
    assert stats["prefetch_count"] == CONCURRENCY  # Celery's default multiplier would give 4 per slot


def test_the_worker_publishes_with_confirms_and_without_the_gevent_heartbeat_stall(upstream_worker):
    conf = (_inspect(upstream_worker).conf(with_defaults=True) or {})[upstream_worker.nodename]
    assert conf["broker_transport_options"].get("confirm_publish") is True
    assert conf["broker_heartbeat"] == 0
    assert conf["worker_prefetch_multiplier"] == 1


def test_pipelines_run_on_the_upstream_style_worker(upstream_worker):
    roots = [start(normal_pipeline(), queue=QUEUE) for _ in range(3)]
    try:
        wait_finished(roots, timeout=120)
    except TimeoutError as err:
        raise TimeoutError(f"{err}\nworker log:\n{upstream_worker.log_tail()}") from err
