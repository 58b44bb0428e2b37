"""The rollback task's name and queue declaration (one place for routing).

Imports nothing but kombu, so settings files can use it. Rollback messages go to
``settings.ROLLBACK_QUEUE`` (default ``"rollback"``): settings files add
``queues()`` to ``CELERY_QUEUES``/``CELERY_TASK_QUEUES`` (with the same name when the setting is
changed), and workers consume it next to the runtime's queues (docs/workers.md).
"""

from typing import List

from kombu import Exchange, Queue

__all__ = ["DEFAULT_QUEUE", "ROLLBACK_TASK_NAME", "queues"]

#: The Celery task of a rollback message (``pipeline.contrib.rollback.tasks.token_rollback``).
ROLLBACK_TASK_NAME = "pipeline.contrib.rollback.tasks.token_rollback"
DEFAULT_QUEUE = "rollback"
DEFAULT_EXCHANGE = Exchange("default", type="direct")


def queues(name: str = DEFAULT_QUEUE) -> List[Queue]:
    """The queue the rollback messages are sent to (routing key = queue name)."""
    return [Queue(name, DEFAULT_EXCHANGE, routing_key=name)]
