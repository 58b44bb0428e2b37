"""Task names and the queue declaration of plugin_execute (one place for routing).

Settings files add ``queues()`` to ``CELERY_QUEUES``/``CELERY_TASK_QUEUES``; messages are always sent
with ``queue=settings.PLUGIN_EXECUTE_QUEUE`` (default ``"plugin_execute"``), so pass the same name to
``queues()`` when that setting is changed.
"""

from typing import List

from kombu import Exchange, Queue

__all__ = ["DEFAULT_QUEUE", "EXECUTE_TASK_NAME", "SCHEDULE_TASK_NAME", "queues"]

EXECUTE_TASK_NAME = "pipeline.contrib.plugin_execute.tasks.execute"
SCHEDULE_TASK_NAME = "pipeline.contrib.plugin_execute.tasks.schedule"
DEFAULT_QUEUE = "plugin_execute"
DEFAULT_EXCHANGE = Exchange("default", type="direct")


def queues(name: str = DEFAULT_QUEUE) -> List[Queue]:
    """The queue the plugin_execute tasks are sent to (routing key = queue name)."""
    return [Queue(name, DEFAULT_EXCHANGE, routing_key=name)]
