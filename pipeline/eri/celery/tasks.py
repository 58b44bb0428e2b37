"""The Celery tasks of the runtime: decode the message, build the runtime, call the engine.

Tasks are acknowledged late and re-queued if the worker process dies (``acks_late``,
``reject_on_worker_lost``). Each delivery claims its token first (:mod:`pipeline.eri.celery.delivery`):
a duplicate of a message that ran is dropped, a delivery while another one holds the lease is re-sent for
after the lease, and a delivery whose claimant died takes the run over where it stopped
(:mod:`pipeline.eri.celery.takeover`). Database errors raised while claiming are retried by Celery.
"""

import logging
import time
from contextlib import contextmanager
from typing import Iterator, Optional

from celery import shared_task
from celery.schedules import crontab
from django.db import InterfaceError, InternalError, OperationalError

from bamboo_engine.engine.messages import run_execute_message, run_schedule_message
from bamboo_engine.metrics import (
    ENGINE_RUNTIME_EXECUTE_TASK_CLAIM_DELAY,
    ENGINE_RUNTIME_SCHEDULE_TASK_CLAIM_DELAY,
    labelled,
)
from pipeline.conf import settings
from pipeline.contrib.celery_tools.periodic import periodic_task
from pipeline.eri.celery.delivery import (
    Verdict,
    claim_delivery,
    delete_expired_claims,
    holding,
    resend_later,
)
from pipeline.eri.celery.queues import EXECUTE_TASK_NAME, SCHEDULE_TASK_NAME
from pipeline.eri.celery.takeover import (
    plan_execute_takeover,
    plan_schedule_takeover,
    release_dead_schedule_lock,
)
from pipeline.eri.runtime import BambooDjangoRuntime

logger = logging.getLogger(__name__)

CLEAN_EXPIRED_LOG_TASK_NAME = "pipeline.eri.celery.tasks.clean_expired_log"
_DB_ERRORS = (OperationalError, InternalError, InterfaceError)
_MESSAGE_IDS = ("process_id", "node_id", "root_pipeline_id", "schedule_id", "callback_data_id")
_DELIVERY = {
    "ignore_result": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    # The engine turns these into interrupts itself; the claim and the takeover reads can raise them.
    # Retrying keeps the message from being lost while the database is away: the claim of a retried
    # message is left open, so the retry takes it over once its lease ended (delivery.holding).
    "autoretry_for": _DB_ERRORS,
    "retry_backoff": True,
    "max_retries": 10,
}


def _observe_claim_delay(histogram, headers: Optional[dict]) -> None:
    sent = (headers or {}).get("timestamp")
    if sent is not None:
        labelled(histogram).observe(max(time.time() - float(sent), 0.0))


@contextmanager
def _loud_when_given_up(task, message: dict) -> Iterator[None]:
    """Log at ERROR, with the message's ids, a retried error on the last retry: the message is gone.

    Celery's own failure log names only the task id; the stuck-pipeline healer re-sends what the run
    is missing, and this line tells an operator which run that is (docs/workers.md).
    """
    try:
        yield
    except _DB_ERRORS as err:
        if (task.request.retries or 0) >= task.max_retries:
            ids = {key: message.get(key) for key in _MESSAGE_IDS if key in message}
            logger.error(
                "%s message %s gave up after %s retries (%r): the run waits for the stuck-pipeline healer",
                task.name,
                ids,
                task.request.retries,
                err,
            )
        raise


def _claim(task_name: str, message: dict):
    """Claim this delivery; a delivery whose lease is still held is re-sent later. None: do not run."""
    claim = claim_delivery(task_name, message["headers"], message)
    if claim.verdict is Verdict.DEFER:
        resend_later(task_name, message, claim.retry_after)
    return claim if claim.runs else None


@shared_task(name=EXECUTE_TASK_NAME, **_DELIVERY)
def execute(
    process_id: int,
    node_id: str,
    root_pipeline_id: str = None,
    parent_pipeline_id: str = None,
    recover_point: str = None,
    headers: dict = None,
    **kwargs,
):
    message = dict(kwargs, process_id=process_id, node_id=node_id, root_pipeline_id=root_pipeline_id)
    message.update(parent_pipeline_id=parent_pipeline_id, recover_point=recover_point, headers=headers)
    with _loud_when_given_up(execute, message):
        claim = _claim(EXECUTE_TASK_NAME, message)
        if claim is None:
            return
        with holding(claim, _DB_ERRORS):
            _observe_claim_delay(ENGINE_RUNTIME_EXECUTE_TASK_CLAIM_DELAY, headers)
            runtime = BambooDjangoRuntime()
            runtime.scope_to_message()
            point = recover_point
            if claim.verdict is Verdict.TAKE_OVER:
                plan = plan_execute_takeover(
                    runtime, process_id, node_id, parent_pipeline_id, recover_point, claim.claimed_at
                )
                if plan is None:
                    return
                node_id, parent_pipeline_id, point = plan.node_id, plan.parent_pipeline_id, plan.recover_point
            # Every sender fills both pipeline ids; their None defaults only keep the task's published
            # signature.
            run_execute_message(
                runtime,
                process_id,
                node_id,
                root_pipeline_id,  # type: ignore[arg-type]
                parent_pipeline_id,  # type: ignore[arg-type]
                point,
                headers,
            )


@shared_task(name=SCHEDULE_TASK_NAME, **_DELIVERY)
def schedule(
    process_id: int,
    node_id: str,
    schedule_id: str,
    callback_data_id: Optional[int],
    recover_point: str = None,
    headers: dict = None,
    **kwargs,
):
    message = dict(kwargs, process_id=process_id, node_id=node_id, schedule_id=schedule_id)
    message.update(callback_data_id=callback_data_id, recover_point=recover_point, headers=headers)
    with _loud_when_given_up(schedule, message):
        claim = _claim(SCHEDULE_TASK_NAME, message)
        if claim is None:
            return
        with holding(claim, _DB_ERRORS):
            _observe_claim_delay(ENGINE_RUNTIME_SCHEDULE_TASK_CLAIM_DELAY, headers)
            runtime = BambooDjangoRuntime()
            runtime.scope_to_message()
            if claim.verdict is Verdict.TAKE_OVER and _took_over_schedule(runtime, message):
                return
            run_schedule_message(
                runtime, process_id, node_id, schedule_id, callback_data_id, recover_point, headers
            )


def _took_over_schedule(runtime: BambooDjangoRuntime, message: dict) -> bool:
    """Take over a schedule message of a dead run; True when the run was continued here.

    The dead run may hold the schedule lock (given back), or may have finished the node without sending
    the next node's execute message (that step runs here). Otherwise the message runs as usual.
    """
    schedule_id, process_id = message["schedule_id"], message["process_id"]
    if release_dead_schedule_lock(schedule_id, message["recover_point"]):
        logger.warning("schedule(%s) lock of the dead run released", schedule_id)
    plan = plan_schedule_takeover(runtime, process_id, message["node_id"], schedule_id)
    if plan is None:
        return False
    logger.warning(
        "schedule(%s): the dead run finished its node; continuing process(%s)", schedule_id, process_id
    )
    step = plan.execute
    run_execute_message(
        runtime,
        process_id,
        step.node_id,
        plan.root_pipeline_id,
        step.parent_pipeline_id or plan.root_pipeline_id,
        step.recover_point,
        None,
    )
    return True


@periodic_task(name=CLEAN_EXPIRED_LOG_TASK_NAME, run_every=crontab(minute=0, hour=0), ignore_result=True)
def clean_expired_log():
    """Daily at 00:00 (beat): delete node logs older than ``LOG_PERSISTENT_DAYS``, expired claims."""
    from pipeline.eri.models import LogEntry

    deleted = LogEntry.objects.delete_expired_log(settings.LOG_PERSISTENT_DAYS)
    claims = delete_expired_claims()
    logger.info("clean_expired_log: %s log entries and %s delivery claims deleted", deleted, claims)
