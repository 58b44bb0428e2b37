"""Publishing the runtime's messages so that a publish returns only once the broker has the message.

With an AMQP broker (RabbitMQ) a plain ``basic.publish`` returns as soon as the bytes are in the socket
buffer: a connection that drops right after loses the message without an error. The runtime therefore
publishes through its own pool of producers whose channels are in *confirm mode* (py-amqp's
``confirm_publish``: ``confirm.select`` on the channel, then every publish waits for the broker's
``basic.ack`` and raises on a ``basic.nack`` or a dropped connection). The project's Celery settings are
not involved: a project that never set ``confirm_publish`` gets confirms for these messages all the same.

Other transports (Redis, the in-process ``memory://``) and ``task_always_eager`` publish through
Celery's own producers as before: a Redis ``LPUSH`` returns once Redis has the message.
"""

import os
import threading
from typing import Any, Callable, Dict, Optional, Tuple

from kombu.pools import ProducerPool

# Seconds a publish waits for the broker's confirmation before it counts as failed (and the message is
# left to the outbox relay). A late confirmation then only produces a duplicate, which the delivery
# claims drop.
CONFIRM_TIMEOUT = 10.0

_REPR_LIMIT = 1024


class _ConfirmingProducers:
    """One producer pool per process and Celery app, its connections in publisher-confirm mode."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: Optional[Tuple[int, int]] = None
        self._pool: Any = None  # None: the app's transport has no confirms

    def pool(self, app: Any) -> Any:
        """The producer pool for ``app``, or None when its transport does not confirm publishes."""
        key = (os.getpid(), id(app))
        with self._lock:
            if self._key != key:  # first use, another app, or a forked child (sockets are not shared)
                self._pool, self._key = _build_pool(app), key
            return self._pool

    def reset(self) -> None:
        """Forget the pool (called in a forked child: a lock held by a thread of the parent at the fork
        would stay held, and the parent's sockets are not the child's)."""
        self._lock = threading.Lock()
        self._key, self._pool = None, None


def _build_pool(app: Any) -> Any:
    connection = app.connection_for_write(transport_options={"confirm_publish": True})
    if getattr(connection.transport, "driver_type", "") != "amqp":
        return None
    limit = app.conf.broker_pool_limit or 10
    return ProducerPool(connection.Pool(limit=limit), limit=limit, Producer=app.amqp.Producer)


producers = _ConfirmingProducers()
os.register_at_fork(after_in_child=producers.reset)


def publish(task_name: str, kwargs: Dict[str, Any], options: Dict[str, Any]) -> None:
    """Send one message through Celery; with AMQP, return only once the broker confirmed it.

    Raises whatever the transport raises when the message could not be sent (after Celery's own publish
    retries) or was not confirmed: the caller keeps the message for another attempt.
    """
    from celery import current_app

    app = current_app._get_current_object()
    # Celery would build these for monitoring with its generic ``saferepr`` (~2 % of a worker's CPU in
    # the 17x100 benchmark); the kwargs are a few ids, which plain ``repr`` shows as well.
    options = {"argsrepr": "()", "kwargsrepr": repr(kwargs)[:_REPR_LIMIT], **options}
    send = _sender(app, task_name)
    pool = None if app.conf.task_always_eager else producers.pool(app)
    if pool is None:
        send(kwargs=kwargs, **options)
        return
    with pool.acquire(block=True) as producer:
        send(kwargs=kwargs, producer=producer, confirm_timeout=CONFIRM_TIMEOUT, **options)


def _sender(app: Any, task_name: str) -> Callable[..., Any]:
    # Through the registered task when there is one, so ``task_always_eager`` runs it in place.
    task = app.tasks.get(task_name)
    if task is not None:
        return task.apply_async
    return lambda **kw: app.send_task(task_name, **kw)
