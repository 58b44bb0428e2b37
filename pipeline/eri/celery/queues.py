"""Every queue and routing declaration of the runtime, in one place.

Settings files star-import this module (``from pipeline.eri.celery.queues import *``) and extend
``CELERY_QUEUES`` with ``QueueResolver("name").queues()`` for custom queues.
"""

from typing import Dict, List, Tuple, Union

from kombu import Exchange, Queue

__all__ = ["CELERY_QUEUES", "QueueResolver", "EXECUTE_TASK_NAME", "SCHEDULE_TASK_NAME"]

EXECUTE_TASK_NAME = "pipeline.eri.celery.tasks.execute"
SCHEDULE_TASK_NAME = "pipeline.eri.celery.tasks.schedule"
MAX_PRIORITY = 255
DEFAULT_EXCHANGE = Exchange("default", type="direct")

_QUEUE_PREFIXES = {EXECUTE_TASK_NAME: "er_execute", SCHEDULE_TASK_NAME: "er_schedule"}


class QueueResolver:
    """Names the execute/schedule queues of one queue suffix ("" means the default queues)."""

    def __init__(self, queue: str):
        self.queue = queue

    def _name(self, task_name: str) -> str:
        prefix = _QUEUE_PREFIXES[task_name]
        return f"{prefix}_{self.queue}" if self.queue else prefix

    def routes_config(self) -> Dict[str, Dict[str, str]]:
        return {
            task: {"queue": self._name(task), "routing_key": self._name(task)} for task in _QUEUE_PREFIXES
        }

    def resolve_task_queue_and_routing_key(self, task: Union[str, object]) -> Tuple[str, str]:
        task_name = task if isinstance(task, str) else task.name  # type: ignore[attr-defined]
        name = self._name(task_name)
        return name, name

    def queues(self) -> List[Queue]:
        return [
            Queue(
                self._name(task),
                DEFAULT_EXCHANGE,
                routing_key=self._name(task),
                max_priority=MAX_PRIORITY,
            )
            for task in _QUEUE_PREFIXES
        ]


CELERY_QUEUES = QueueResolver("").queues()
