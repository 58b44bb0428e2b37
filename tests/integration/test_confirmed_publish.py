"""The runtime's publishes return only once RabbitMQ has the message, and fail when it refuses it.

A queue declared with ``x-max-length = 0`` and ``x-overflow = reject-publish`` refuses every message: a
publisher in confirm mode gets a ``basic.nack``, a plain publisher gets nothing and the message is gone.
"""

import uuid

import pytest
from amqp.exceptions import MessageNacked
from kombu import Exchange, Queue
from kombu.exceptions import OperationalError

from pipeline.eri.celery import publisher
from pipeline.eri.celery.queues import EXECUTE_TASK_NAME

pytestmark = pytest.mark.integration

MESSAGE = {"process_id": 0, "node_id": "n"}


def _queue(refusing: bool) -> Queue:
    arguments = {"x-max-length": 0, "x-overflow": "reject-publish"} if refusing else {}
    name = f"confirm_{uuid.uuid4().hex[:8]}"
    return Queue(name, Exchange(""), routing_key=name, queue_arguments=arguments, auto_delete=False)


@pytest.fixture
def declared(it_session):
    from celery import current_app

    queues = []

    def declare(refusing: bool) -> Queue:
        queue = _queue(refusing)
        with current_app.connection_for_write() as connection:
            queue(connection.default_channel).declare()
        queues.append(queue)
        return queue

    yield declare
    with current_app.connection_for_write() as connection:
        for queue in queues:
            queue(connection.default_channel).delete()


def _waiting(queue: Queue) -> int:
    from celery import current_app

    with current_app.connection_for_write() as connection:
        return queue(connection.default_channel).queue_declare(passive=True).message_count


def test_a_message_the_broker_refuses_raises_instead_of_vanishing(declared):
    from celery import current_app

    refusing = declared(refusing=True)
    # Celery's own producers do not ask for confirmations: the publish "succeeds", the message is lost.
    current_app.send_task(EXECUTE_TASK_NAME, kwargs=MESSAGE, queue=refusing)

    with pytest.raises((MessageNacked, OperationalError)):  # Celery's retry wraps the nack
        publisher.publish(EXECUTE_TASK_NAME, MESSAGE, {"queue": refusing})
    assert _waiting(refusing) == 0


def test_a_confirmed_publish_returns_with_the_message_in_the_queue(declared):
    queue = declared(refusing=False)

    publisher.publish(EXECUTE_TASK_NAME, MESSAGE, {"queue": queue})

    assert _waiting(queue) == 1
    from celery import current_app

    pool = publisher.producers.pool(current_app)
    with pool.acquire(block=True) as producer:
        # The connection is in confirm mode: every channel's publish waits for the broker's ack.
        assert producer.channel.basic_publish.__name__ == "basic_publish_confirm"
