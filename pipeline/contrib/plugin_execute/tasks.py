"""The Celery tasks of plugin_execute; the work is in :mod:`pipeline.contrib.plugin_execute.runner`.

Both are sent to ``settings.PLUGIN_EXECUTE_QUEUE`` by :mod:`pipeline.contrib.plugin_execute.dispatch`.
Messages are acknowledged after the task ran and re-queued if the worker process dies; a duplicate
delivery changes nothing (the runner's claims are conditional updates).
"""

from typing import Any, Dict, Optional

from celery import shared_task

from pipeline.contrib.plugin_execute import runner
from pipeline.contrib.plugin_execute.queues import EXECUTE_TASK_NAME, SCHEDULE_TASK_NAME

_DELIVERY = {"ignore_result": True, "acks_late": True, "reject_on_worker_lost": True}
#: A callback that arrives while ``execute`` or an earlier round still runs waits this long at most
#: (about an hour: retries back off to ``MAX_WAIT_COUNTDOWN`` seconds).
MAX_WAIT_RETRIES = 400
MAX_WAIT_COUNTDOWN = 10


def wait_countdown(retries: int) -> float:
    """Seconds before re-delivering a schedule message that came too early (0.5, 1, 2, ... 10)."""
    return min(0.5 * 2 ** min(retries, 8), MAX_WAIT_COUNTDOWN)


@shared_task(name=EXECUTE_TASK_NAME, **_DELIVERY)
def execute(task_id: int, invoke_count: int) -> None:
    runner.execute_task(task_id, invoke_count)


@shared_task(bind=True, name=SCHEDULE_TASK_NAME, max_retries=MAX_WAIT_RETRIES, **_DELIVERY)
def schedule(
    self,
    task_id: int,
    invoke_count: int,
    schedule_round: int,
    callback_data: Optional[Dict[str, Any]] = None,
) -> None:
    verdict = runner.schedule_task(task_id, invoke_count, schedule_round, callback_data)
    if verdict is runner.Verdict.LATER:
        raise self.retry(countdown=wait_countdown(self.request.retries or 0))
