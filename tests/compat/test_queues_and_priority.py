"""Routing settings of a run: ``priority=0`` is kept, ``add_queue`` binds the key messages use."""

import pytest

from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
from tests.compat.harness import run, runtime, wait_finished
from tests.integration.env import wait_until

pytestmark = pytest.mark.integration

TASKS = ("pipeline.eri.celery.tasks.execute", "pipeline.eri.celery.tasks.schedule")


def test_priority_zero_is_stored_as_zero(worker):
    from pipeline.eri.models import Process

    start, end = EmptyStartEvent(), EmptyEndEvent()
    start.extend(ServiceActivity(component_code="compat_noop")).extend(end)

    root_id = run(build_tree(start), priority=0)

    wait_finished(root_id, worker)
    assert set(Process.objects.filter(root_pipeline_id=root_id).values_list("priority", flat=True)) == {0}


def test_add_queue_binds_the_routing_key_messages_are_sent_with(compat_session):
    from django.conf import settings
    from kombu import Connection, Exchange, Producer

    from pipeline.eri.celery.queues import QueueResolver

    runtime().add_queue("compat_added", routing_key="compat_custom_key")

    resolver = QueueResolver("compat_added")
    with Connection(settings.BROKER_URL) as connection:
        channel = connection.default_channel
        producer = Producer(channel, exchange=Exchange("default", type="direct"))
        for task in TASKS:
            queue, routing_key = resolver.resolve_task_queue_and_routing_key(task)
            producer.publish({"probe": task}, routing_key=routing_key)

            def delivered(queue=queue):
                return channel.queue_declare(queue, passive=True).message_count == 1

            try:
                wait_until(delivered, 5, f"a message sent with key {routing_key} in {queue}")
            except TimeoutError as err:
                raise AssertionError(f"{err}: the queue is not bound with the key messages use") from None
            channel.queue_purge(queue)
