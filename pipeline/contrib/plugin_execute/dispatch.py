"""Sending the plugin_execute Celery messages, after the surrounding transaction commits.

Messages go through the runtime's transactional outbox (:mod:`pipeline.eri.outbox`): stored with the
row change they belong to, published once it committed, so a worker always finds the row state that
the message refers to and a rolled-back change sends nothing. A publish that fails leaves the message
stored, and a worker's outbox relay sends it later. With the outbox switched off
(``BAMBOO_DJANGO_ERI_OUTBOX = False``) the message is published from ``transaction.on_commit``, and
when the broker refuses it the task is marked FAILED with the error in ``outputs["ex_data"]``, so it
can be retried instead of staying READY/RUNNING forever.
"""

import logging
from typing import Any, Dict, Optional

from django.db import transaction
from django.utils import timezone

from pipeline.conf import settings
from pipeline.contrib.plugin_execute import states
from pipeline.contrib.plugin_execute.queues import EXECUTE_TASK_NAME, SCHEDULE_TASK_NAME
from pipeline.eri import outbox
from pipeline.eri.celery.publisher import publish as confirmed_publish

logger = logging.getLogger(__name__)


def publish(task_name: str, kwargs: Dict[str, Any], countdown: Optional[float]) -> None:
    """Send one message to ``settings.PLUGIN_EXECUTE_QUEUE``, confirmed by the broker (tests swap this).

    The task is looked up by name in the Celery app (the app config imports the tasks module): the tasks
    call the runner, which calls this module, so importing the tasks here would close a cycle.
    """
    confirmed_publish(task_name, kwargs, _options(countdown))


def _options(countdown: Optional[float]) -> Dict[str, Any]:
    queue = settings.PLUGIN_EXECUTE_QUEUE
    options: Dict[str, Any] = {"queue": queue, "routing_key": queue}
    if countdown:
        options["countdown"] = countdown
    return options


def send_execute(task_id: int, invoke_count: int) -> None:
    """Run ``execute`` of invoke ``invoke_count`` of the task on a worker."""
    _send(EXECUTE_TASK_NAME, {"task_id": task_id, "invoke_count": invoke_count}, None)


def send_schedule(
    task_id: int,
    invoke_count: int,
    schedule_round: int,
    callback_data: Optional[Dict[str, Any]] = None,
    countdown: Optional[float] = None,
) -> None:
    """Run schedule round ``schedule_round``: a poll, or the handling of callback ``schedule_round``."""
    kwargs = {
        "task_id": task_id,
        "invoke_count": invoke_count,
        "schedule_round": schedule_round,
        "callback_data": callback_data,
    }
    _send(SCHEDULE_TASK_NAME, kwargs, countdown)


def _send(task_name: str, kwargs: Dict[str, Any], countdown: Optional[float]) -> None:
    # ``publish`` is looked up when the message is published, so tests can swap the module's publisher.
    if not outbox.enabled():
        transaction.on_commit(lambda: _publish_or_fail(task_name, kwargs, countdown))
        return
    outbox.send(task_name, kwargs, _options(countdown), lambda name, body, _: publish(name, body, countdown))


def _publish_or_fail(task_name: str, kwargs: Dict[str, Any], countdown: Optional[float]) -> None:
    try:
        publish(task_name, kwargs, countdown)
    except Exception as err:
        logger.exception("plugin execute task %s: sending %s failed", kwargs["task_id"], task_name)
        _fail_unsent(kwargs["task_id"], kwargs["invoke_count"], f"could not send {task_name}: {err!r}")
        raise


def _fail_unsent(task_id: int, invoke_count: int, message: str) -> None:
    from pipeline.contrib.plugin_execute.models import PluginExecuteTask

    task = PluginExecuteTask.objects.filter(id=task_id, invoke_count=invoke_count).first()
    if task is None or task.state not in states.ACTIVE_STATES:
        return
    outputs = dict(task.outputs or {}, ex_data=message)
    PluginExecuteTask.objects.filter(id=task_id, invoke_count=invoke_count, state=task.state).update(
        state=states.FAILED, outputs=outputs, scheduling=False, schedule_busy=False, finish_at=timezone.now()
    )
