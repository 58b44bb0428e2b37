"""What a worker does for one message: claim the task, call the service, store the outcome.

Every write is a conditional ``UPDATE`` guarded by the invoke count and the state the worker claimed,
so a duplicate delivery claims nothing and a result that arrives after ``forced_fail`` or ``retry``
is dropped. No row lock is held while plugin code runs.
"""

import enum
import logging
import traceback
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, Optional, Tuple

from django.db import transaction
from django.utils import timezone

from bamboo_engine.codec import drop_unstorable
from bamboo_engine.exceptions import UnstorableValueError
from bamboo_engine.metrics import ENGINE_UNEXPECTED_EXCEPTION_COUNT, inc_counter
from pipeline.component_framework.library import ComponentLibrary
from pipeline.contrib.plugin_execute import dispatch, states
from pipeline.contrib.plugin_execute.fields import dumps
from pipeline.contrib.plugin_execute.models import PluginExecuteTask
from pipeline.core.data.base import DataObject

logger = logging.getLogger(__name__)
PLUGIN_LOGGER_NAME = "pipeline.contrib.plugin_execute.plugin"


class Verdict(enum.Enum):
    """What became of a schedule message."""

    DONE = "done"  # handled (the round ran)
    DROPPED = "dropped"  # stale or duplicate: nothing to do
    LATER = "later"  # the task is not ready for this round yet: deliver the message again later


# ------------------------------------------------------------------------------------------ service
def build_service(task: PluginExecuteTask) -> Any:
    """A fresh service instance of the task's component, runtime attributes set."""
    component_cls = ComponentLibrary.get_component_class(task.component_code, task.version)
    service = component_cls.bound_service(name=task.component_code)
    attrs: Dict[str, Any] = {
        "id": str(task.id),
        "version": str(task.invoke_count),
        "root_pipeline_id": "",
        "top_pipeline_id": "",
        "loop": 1,
        "inner_loop": 1,
    }
    attrs.update(task.runtime_attrs or {})
    extra = {"task_id": task.id, "invoke_count": task.invoke_count}
    attrs["logger"] = logging.LoggerAdapter(logging.getLogger(PLUGIN_LOGGER_NAME), extra)
    service.setup_runtime_attrs(**attrs)
    return service


def data_objects(task: PluginExecuteTask, service: Any) -> Tuple[DataObject, DataObject]:
    """``(data, parent_data)``: the task's inputs/outputs and its contexts."""
    inputs = dict(task.inputs or {})
    # Services written for pipelines read their loop counters from the inputs.
    inputs.setdefault("_loop", service.loop)
    inputs.setdefault("_inner_loop", service.inner_loop)
    return DataObject(inputs, dict(task.outputs or {})), DataObject(dict(task.contexts or {}))


def call_service(method: Callable[..., Any], data: DataObject, *args: Any) -> bool:
    """Call ``execute``/``schedule``; None counts as success, an exception as failure with its traceback."""
    try:
        result = method(data, *args)
    except Exception:
        logger.exception("plugin %s raised", getattr(method, "__qualname__", method))
        data.set_outputs("ex_data", traceback.format_exc())
        return False
    return True if result is None else bool(result)


def storable_outputs(outputs: Dict[str, Any], success: bool) -> Tuple[Dict[str, Any], bool]:
    """The outputs to save (``_result`` set) and the success flag.

    Outputs holding a value the codec cannot store fail the task: such keys are dropped and ``ex_data``
    names each (path and type); the other outputs are kept.
    """
    outputs = dict(outputs, _result=success)
    try:
        dumps(outputs)
    except UnstorableValueError:
        errors = drop_unstorable(dumps, {"outputs": outputs})
        ex_data = "; ".join(str(err) for err in errors)
        return dict(outputs, _result=False, ex_data=ex_data), False
    return outputs, success


def _guarded(task_id: int, invoke_count: int, **conditions: Any):
    return PluginExecuteTask.objects.filter(
        id=task_id, invoke_count=invoke_count, state=states.RUNNING, **conditions
    )


def _archive_fields(success: bool, outputs: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "state": states.FINISHED if success else states.FAILED,
        "outputs": outputs,
        "scheduling": False,
        "schedule_busy": False,
        "finish_at": timezone.now(),
    }


def next_poll_countdown(service: Any, schedule_round: int) -> Optional[float]:
    """Seconds before poll ``schedule_round``: the interval generator's value for that round."""
    interval = service.interval
    # The service object is rebuilt for every message: put the generator where this round expects it.
    interval.count = schedule_round - 1
    return interval.next()


@contextmanager
def failing_on_error(task_id: int, invoke_count: int, phase: str) -> Iterator[None]:
    """Run what a worker does with a task it claimed; any exception fails the task instead of escaping.

    The plugin's own ``execute``/``schedule`` raising is an ordinary failure (:func:`call_service`);
    this net catches the rest — the component cannot be loaded, an interval generator or
    ``is_schedule_finished`` raises, a write fails — which would otherwise leave the task RUNNING with
    no message left to move it. The write is guarded like every other (the invoke count and RUNNING),
    so a task retried or forced to fail meanwhile is left alone. If failing the task raises too (the
    database is away), the error propagates and the task stays RUNNING: ``forced_fail`` then ``retry``.
    """
    try:
        yield
    except Exception as err:  # noqa: BLE001 - the task fails with the traceback
        trace = traceback.format_exc()
        logger.error(
            "plugin execute task %s invoke %s: %s raised an unexpected error, failing the task:\n%s",
            task_id,
            invoke_count,
            phase,
            trace,
        )
        ex_data = f"plugin execute task {task_id} {phase} raised an unexpected error: {err!r}\n{trace}"
        kind = f"plugin_{phase}"
        try:
            failed = _guarded(task_id, invoke_count).update(
                **_archive_fields(False, {"_result": False, "ex_data": ex_data})
            )
        except Exception:
            inc_counter(ENGINE_UNEXPECTED_EXCEPTION_COUNT, kind=kind, outcome="retried")
            logger.error("failing plugin execute task %s failed too", task_id, exc_info=True)
            raise
        outcome = "task_failed" if failed else "task_left"
        inc_counter(ENGINE_UNEXPECTED_EXCEPTION_COUNT, kind=kind, outcome=outcome)


# ------------------------------------------------------------------------------------------ execute
def execute_task(task_id: int, invoke_count: int) -> bool:
    """Claim a READY task (READY → RUNNING) and run its service's ``execute``.

    Returns:
        Whether this message ran ``execute`` (False: duplicate, stale or forced-failed meanwhile).
    """
    claimed = PluginExecuteTask.objects.filter(id=task_id, invoke_count=invoke_count, state=states.READY)
    if not claimed.update(state=states.RUNNING):
        logger.info("plugin execute task %s invoke %s: nothing to execute", task_id, invoke_count)
        return False
    with failing_on_error(task_id, invoke_count, "execute"):
        task = PluginExecuteTask.objects.get(id=task_id)
        service = build_service(task)
        data, parent_data = data_objects(task, service)
        success = call_service(service.execute, data, parent_data)
        _apply_execute_result(task, service, data, success)
    return True


def _apply_execute_result(task: PluginExecuteTask, service: Any, data: DataObject, success: bool) -> None:
    outputs, success = storable_outputs(data.get_outputs(), success)
    guarded = _guarded(task.id, task.invoke_count)
    if not success or not service.need_schedule():
        guarded.update(**_archive_fields(success, outputs))
        return
    with transaction.atomic():
        if guarded.update(outputs=outputs, scheduling=True) and service.interval:
            countdown = next_poll_countdown(service, 1)
            dispatch.send_schedule(task.id, task.invoke_count, 1, countdown=countdown)


# ----------------------------------------------------------------------------------------- schedule
def schedule_task(
    task_id: int, invoke_count: int, schedule_round: int, callback_data: Optional[Dict[str, Any]] = None
) -> Verdict:
    """Run schedule round ``schedule_round`` (a poll, or the handling of callback ``schedule_round``)."""
    verdict = _claim_round(task_id, invoke_count, schedule_round)
    if verdict is not Verdict.DONE:
        return verdict
    with failing_on_error(task_id, invoke_count, "schedule"):
        task = PluginExecuteTask.objects.get(id=task_id)
        service = build_service(task)
        data, parent_data = data_objects(task, service)
        success = call_service(service.schedule, data, parent_data, callback_data)
        _apply_schedule_result(task, service, data, success, schedule_round)
    return Verdict.DONE


def _claim_round(task_id: int, invoke_count: int, schedule_round: int) -> Verdict:
    claimable = _guarded(
        task_id, invoke_count, scheduling=True, schedule_busy=False, schedule_times=schedule_round - 1
    )
    if claimable.update(schedule_busy=True):
        return Verdict.DONE
    task = PluginExecuteTask.objects.filter(id=task_id).first()
    if (
        task is None
        or task.invoke_count != invoke_count
        or task.state != states.RUNNING
        or task.schedule_times >= schedule_round
    ):
        logger.info("plugin execute task %s: schedule round %s is stale", task_id, schedule_round)
        return Verdict.DROPPED
    # Still executing, another round running, or an earlier callback not handled yet.
    return Verdict.LATER


def _apply_schedule_result(
    task: PluginExecuteTask, service: Any, data: DataObject, success: bool, schedule_round: int
) -> None:
    outputs, success = storable_outputs(data.get_outputs(), success)
    guarded = _guarded(task.id, task.invoke_count, schedule_busy=True, schedule_times=schedule_round - 1)
    # Polls and callbacks alike: the plugin says when it is done. A callback plugin that did not call
    # finish_schedule() stays RUNNING and takes the next callback (a pipeline node would finish here).
    if not success or service.is_schedule_finished():
        guarded.update(schedule_times=schedule_round, **_archive_fields(success, outputs))
        return
    with transaction.atomic():
        updated = guarded.update(outputs=outputs, schedule_times=schedule_round, schedule_busy=False)
        if updated and service.interval:
            countdown = next_poll_countdown(service, schedule_round + 1)
            dispatch.send_schedule(task.id, task.invoke_count, schedule_round + 1, countdown=countdown)
