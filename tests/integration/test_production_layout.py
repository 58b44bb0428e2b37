"""The production layout (docs/workers.md): MariaDB + RabbitMQ, one worker per queue.

Two ``-P gevent -c 100`` workers share the run: one consumes only ``er_execute_pl``, the other only
``er_schedule_pl``. The pipelines poll ``sleep_timer`` (1 s interval, so every poll is a real schedule
message) between ``debug_node`` steps, so both workers must do their part for any run to finish; each
worker's task totals (``celery inspect stats``) show that it did, and only its own kind of task.

Custom queue isolation: a pipeline run on ``plw``, a queue no worker consumes yet, makes no progress
while a pipeline on ``pl`` finishes; its message waits in RabbitMQ, and a worker started later for
``plw`` finishes it. A queue created with ``BambooDjangoRuntime().add_queue`` (``aq``) is bound so that
messages sent before any worker declared it wait there too.
"""

from typing import Dict

import pytest

from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, Var, build_tree
from pipeline.eri.celery.queues import DEFAULT_EXCHANGE, EXECUTE_TASK_NAME, SCHEDULE_TASK_NAME
from tests.integration.env import Session, Worker
from tests.integration.helpers import (
    PROBE_IMPORTS,
    assert_ran_once,
    runtime,
    start,
    state_name,
    wait_finished,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

QUEUE = "pl"
#: Declared by the session (SESSION_QUEUES) but consumed by no worker until the test starts one.
WAITING_QUEUE = "plw"
#: Declared on the broker only by the test's ``add_queue`` call.
ADDED_QUEUE = "aq"
PIPELINES = 10


def _activity(code: str, **inputs) -> ServiceActivity:
    activity = ServiceActivity(component_code=code)
    for key, value in inputs.items():
        setattr(activity.component.inputs, key, Var(type=Var.PLAIN, value=value))
    return activity


def _timer_pipeline() -> dict:
    """``start → debug_node → sleep_timer(1 s) → debug_node → end``."""
    start_event = EmptyStartEvent()
    start_event.extend(_activity("debug_node", step=1)).extend(_activity("sleep_timer", seconds=1)).extend(
        _activity("debug_node", step=2)
    ).extend(EmptyEndEvent())
    return build_tree(start_event)


def _queue_worker(session: Session, name: str, queues) -> Worker:
    # The production command line: -P gevent -c 100, one -Q per worker.
    return Worker(session, name, "gevent", 100, list(queues), PROBE_IMPORTS).start()


def _task_totals(worker: Worker) -> Dict[str, int]:
    """Tasks the worker received since it started, by task name (``celery inspect stats``)."""
    from celery import current_app

    replies = current_app.control.inspect([worker.nodename], timeout=5).stats() or {}
    assert worker.nodename in replies, f"{worker.nodename} did not answer inspect stats: {replies}"
    return dict(replies[worker.nodename].get("total", {}))


def _queued_messages(queue_name: str) -> int:
    """Messages ready in ``queue_name`` on the session's vhost (a passive declare: never creates it)."""
    from celery import current_app

    with current_app.connection_for_write() as connection:
        _, messages, _ = connection.default_channel.queue_declare(queue=queue_name, passive=True)
    return messages


@pytest.fixture(scope="module")
def split_workers(it_session):
    execute = _queue_worker(it_session, "pl-execute", [f"er_execute_{QUEUE}"])
    schedule = _queue_worker(it_session, "pl-schedule", [f"er_schedule_{QUEUE}"])
    yield execute, schedule
    execute.stop()
    schedule.stop()


def test_pipelines_spread_over_an_execute_worker_and_a_schedule_worker(split_workers, it_session):
    execute_worker, schedule_worker = split_workers
    root_ids = [start(_timer_pipeline(), queue=QUEUE) for _ in range(PIPELINES)]
    seconds = wait_finished(root_ids, timeout=300)
    print(f"{PIPELINES} timer pipelines on split execute/schedule workers in {seconds:.1f}s")
    assert assert_ran_once(it_session, root_ids) == PIPELINES * 6

    execute_totals, schedule_totals = _task_totals(execute_worker), _task_totals(schedule_worker)
    print(f"execute worker: {execute_totals}; schedule worker: {schedule_totals}")
    # Each run needs at least one execute step per activity chain and one poll message per timer.
    assert execute_totals.get(EXECUTE_TASK_NAME, 0) >= PIPELINES, execute_totals
    assert schedule_totals.get(SCHEDULE_TASK_NAME, 0) >= PIPELINES, schedule_totals
    assert SCHEDULE_TASK_NAME not in execute_totals, execute_totals
    assert EXECUTE_TASK_NAME not in schedule_totals, schedule_totals


def test_unconsumed_custom_queue_keeps_its_messages_until_a_worker_comes(split_workers, it_session):
    waiting_tree = _timer_pipeline()
    waiting_start = waiting_tree["start_event"]["id"]
    waiting_id = start(waiting_tree, queue=WAITING_QUEUE)
    # Started after the waiting run and finished by the pl workers: the waiting run had that long.
    served_id = start(_timer_pipeline(), queue=QUEUE)
    wait_finished([served_id])

    assert state_name(waiting_start) is None, "a run on an unconsumed queue made progress"
    assert _queued_messages(f"er_execute_{WAITING_QUEUE}") == 1

    late_worker = _queue_worker(
        it_session, "plw", [f"er_execute_{WAITING_QUEUE}", f"er_schedule_{WAITING_QUEUE}"]
    )
    try:
        wait_finished([waiting_id])
    finally:
        late_worker.stop()
    assert assert_ran_once(it_session, [waiting_id]) == 6
    assert _queued_messages(f"er_execute_{WAITING_QUEUE}") == 0


def test_queue_added_with_add_queue_keeps_a_message_until_its_worker_comes(it_session, monkeypatch):
    from pipeline.eri.imp import task as task_module

    runtime().add_queue(ADDED_QUEUE, routing_key=ADDED_QUEUE)
    # The first message goes through the ``default`` exchange the queues are declared on, from a
    # producer that declares nothing itself (Celery alone would publish straight to the queue by name):
    # it reaches the queue only through the bindings add_queue made.
    celery_publish = task_module.publish

    def publish_through_the_exchange(name, kwargs, options):
        celery_publish(name, kwargs, dict(options, exchange=DEFAULT_EXCHANGE.name, declare=[]))

    monkeypatch.setattr(task_module, "publish", publish_through_the_exchange)
    root_id = start(_timer_pipeline(), queue=ADDED_QUEUE)
    monkeypatch.setattr(task_module, "publish", celery_publish)

    assert _queued_messages(f"er_execute_{ADDED_QUEUE}") == 1
    worker = _queue_worker(it_session, "aq", [f"er_execute_{ADDED_QUEUE}", f"er_schedule_{ADDED_QUEUE}"])
    try:
        wait_finished([root_id])
    finally:
        worker.stop()
    assert assert_ran_once(it_session, [root_id]) == 6
