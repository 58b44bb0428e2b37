"""Run one plugin without a pipeline.

Every function returns a :class:`~pipeline.contrib.utils.PipelineContribAPIResult`. A refused call
(unknown task id, wrong state, bad argument) answers ``result=False`` with a message that names the
task and the reason, and changes nothing. Changes are conditional ``UPDATE``s on the state and invoke
count the call read, so two concurrent calls can not both succeed where only one may.
"""

import functools
from typing import Any, Callable, Dict

from django.utils import timezone

from bamboo_engine.exceptions import UnstorableValueError
from pipeline.component_framework.constants import LEGACY_PLUGINS_VERSION
from pipeline.component_framework.library import ComponentLibrary
from pipeline.contrib.plugin_execute import dispatch, states
from pipeline.contrib.plugin_execute.exceptions import (
    InvalidTaskArgument,
    PluginExecuteException,
    StateRefused,
    TaskNotFound,
)
from pipeline.contrib.plugin_execute.fields import dumps
from pipeline.contrib.plugin_execute.models import PluginExecuteTask
from pipeline.contrib.utils import PipelineContribAPIResult, ensure_return_pipeline_contrib_api_result
from pipeline.exceptions import ComponentNotExistException

__all__ = ["run", "get_state", "callback", "forced_fail", "retry"]

FORCED_FAIL_MESSAGE = "forced failed by the plugin_execute api"
#: A multi-callback task may get callbacks concurrently; each one retries its numbering this often.
CALLBACK_NUMBERING_ATTEMPTS = 20


def _refusals_as_results(func: Callable) -> Callable:
    """Expected refusals become ``result=False`` answers with their own message (not ``"fail"``)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (PluginExecuteException, ComponentNotExistException) as err:
            return PipelineContribAPIResult(
                result=False, message=str(err), exc=err, data=None, exc_trace=None
            )

    return wrapper


def _json_dict(name: str, value: Any, task_label: str) -> Dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidTaskArgument(f"{task_label}: {name} must be a dict, got {type(value).__name__}")
    try:
        dumps(value)
    except UnstorableValueError as err:
        raise InvalidTaskArgument(f"{task_label}: {err.within(name)}") from err
    return value


def _get_task(task_id: int) -> PluginExecuteTask:
    valid_id = isinstance(task_id, int) or (isinstance(task_id, str) and task_id.isdigit())
    task = PluginExecuteTask.objects.filter(id=int(task_id)).first() if valid_id else None
    if task is None:
        raise TaskNotFound(f"plugin execute task {task_id!r} does not exist")
    return task


def _service_cls(task: PluginExecuteTask) -> Any:
    return ComponentLibrary.get_component_class(task.component_code, task.version).bound_service


def _update_if_unchanged(task: PluginExecuteTask, action: str, **fields: Any) -> None:
    updated = PluginExecuteTask.objects.filter(
        id=task.id, state=task.state, invoke_count=task.invoke_count
    ).update(**fields)
    if not updated:
        raise StateRefused(f"can not {action} plugin execute task {task.id}: it changed meanwhile, try again")


# ----------------------------------------------------------------------------------------------- api
@ensure_return_pipeline_contrib_api_result
@_refusals_as_results
def run(component_code: str, version: str, inputs: dict, contexts: dict, runtime_attrs: dict = None):
    """Queue one run of ``component_code``/``version``; ``.data`` is the new task id.

    ``inputs`` become the service's ``data`` inputs, ``contexts`` its ``parent_data`` inputs and
    ``runtime_attrs`` extra runtime attributes (``self.<name>`` in the service).
    """
    label = f"plugin {component_code!r} version {version!r}"
    ComponentLibrary.get_component_class(component_code, version)
    task = PluginExecuteTask.objects.create(
        state=states.READY,
        component_code=component_code,
        version=version or LEGACY_PLUGINS_VERSION,
        inputs=_json_dict("inputs", inputs, label),
        contexts=_json_dict("contexts", contexts, label),
        runtime_attrs=_json_dict("runtime_attrs", runtime_attrs, label),
    )
    dispatch.send_execute(task.id, task.invoke_count)
    return task.id


@ensure_return_pipeline_contrib_api_result
@_refusals_as_results
def get_state(task_id: int):
    """The task as a dict: state, component, invoke count, inputs, outputs, callback data, times."""
    task = _get_task(task_id)
    return {
        "task_id": task.id,
        "state": task.state,
        "component_code": task.component_code,
        "version": task.version,
        "invoke_count": task.invoke_count,
        "inputs": task.inputs,
        "outputs": task.outputs,
        "callback_data": task.callback_data,
        "contexts": task.contexts,
        "runtime_attrs": task.runtime_attrs,
        "create_at": task.created_at,
        "finish_at": task.finish_at,
    }


@ensure_return_pipeline_contrib_api_result
@_refusals_as_results
def callback(task_id: int, callback_data: dict = None):
    """Hand ``callback_data`` to the ``schedule`` of a RUNNING callback service.

    The task stays RUNNING and takes further callbacks until the service calls ``finish_schedule()``
    (or fails). Callbacks are handled one at a time, in the order they were accepted; one accepted
    after an earlier one that finished the task is dropped. A callback that arrives while ``execute``
    still runs is accepted and handled once it returned.
    """
    data = _json_dict("callback_data", callback_data, f"plugin execute task {task_id!r}")
    for _ in range(CALLBACK_NUMBERING_ATTEMPTS):
        task = _get_task(task_id)
        _check_callback_allowed(task)
        number = task.callbacks_received + 1
        accepted = PluginExecuteTask.objects.filter(
            id=task.id,
            state=states.RUNNING,
            invoke_count=task.invoke_count,
            callbacks_received=task.callbacks_received,
        ).update(callbacks_received=number, callback_data=data)
        if accepted:
            dispatch.send_schedule(task.id, task.invoke_count, number, callback_data=data)
            return None
    raise StateRefused(f"plugin execute task {task_id}: too many concurrent callbacks, try again")


def _check_callback_allowed(task: PluginExecuteTask) -> None:
    service_cls = _service_cls(task)
    if not service_cls.__need_schedule__ or service_cls.interval:
        kind = "polls" if service_cls.__need_schedule__ else "does not schedule"
        raise StateRefused(
            f"plugin execute task {task.id}: {task.component_code}/{task.version} {kind}, "
            "it takes no callback"
        )
    if task.state != states.RUNNING:
        raise StateRefused(
            f"plugin execute task {task.id} is {task.state}, only a RUNNING task takes a callback"
        )


@ensure_return_pipeline_contrib_api_result
@_refusals_as_results
def forced_fail(task_id: int):
    """Mark a READY or RUNNING task FAILED now; whatever its worker still reports is dropped."""
    task = _get_task(task_id)
    if not states.can_transit(task.state, states.FAILED):
        raise StateRefused(f"can not forced fail plugin execute task {task.id}: it is {task.state}")
    outputs = dict(task.outputs or {}, ex_data=FORCED_FAIL_MESSAGE, _result=False)
    _update_if_unchanged(
        task,
        "forced fail",
        state=states.FAILED,
        outputs=outputs,
        scheduling=False,
        schedule_busy=False,
        finish_at=timezone.now(),
    )
    return None


@ensure_return_pipeline_contrib_api_result
@_refusals_as_results
def retry(task_id: int, inputs: dict = None, contexts: dict = None, runtime_attrs: dict = None):
    """Run a FAILED task again with the next invoke count.

    ``inputs``, ``contexts`` and ``runtime_attrs`` replace the stored ones when given (None keeps them);
    outputs and callback data start empty.
    """
    task = _get_task(task_id)
    if not states.can_transit(task.state, states.READY):
        raise StateRefused(f"can not retry plugin execute task {task.id}: it is {task.state}, not FAILED")
    label = f"plugin execute task {task.id}"
    replaced = {
        name: _json_dict(name, value, label)
        for name, value in (("inputs", inputs), ("contexts", contexts), ("runtime_attrs", runtime_attrs))
        if value is not None
    }
    _service_cls(task)
    invoke_count = task.invoke_count + 1
    _update_if_unchanged(
        task,
        "retry",
        state=states.READY,
        invoke_count=invoke_count,
        outputs={},
        callback_data={},
        scheduling=False,
        schedule_busy=False,
        schedule_times=0,
        callbacks_received=0,
        finish_at=None,
        **replaced,
    )
    dispatch.send_execute(task.id, invoke_count)
    return None
