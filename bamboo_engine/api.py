"""Public entry points of the engine: control operations and queries.

Every function takes the runtime first and returns an :class:`EngineAPIResult`; none of them raises.
Control functions delegate to :class:`bamboo_engine.engine.Engine`, whose methods raise.
"""

import functools
import logging
import traceback
from typing import Any, Callable, List, Optional

from bamboo_engine.api_shapes import execution_time, format_state, nest_children
from bamboo_engine.engine import Engine
from bamboo_engine.eri.interfaces import EngineRuntimeInterface
from bamboo_engine.eri.models.runtime import ContextValue
from bamboo_engine.exceptions import NotFoundError
from bamboo_engine.preview import preview_inputs

__all__ = [
    "EngineAPIResult",
    "run_pipeline",
    "pause_pipeline",
    "revoke_pipeline",
    "resume_pipeline",
    "pause_node_appoint",
    "resume_node_appoint",
    "retry_node",
    "retry_subprocess",
    "skip_node",
    "skip_exclusive_gateway",
    "skip_conditional_parallel_gateway",
    "forced_fail_activity",
    "callback",
    "get_pipeline_states",
    "get_children_states",
    "get_execution_data_inputs",
    "get_execution_data_outputs",
    "get_execution_data",
    "get_data",
    "get_node_histories",
    "get_node_short_histories",
    "get_pipeline_debug_info",
    "get_node_debug_info",
    "preview_node_inputs",
    "get_pipeline_execution_time",
    "get_node_execution_time",
    "update_context_values",
]

logger = logging.getLogger("bamboo_engine")


class EngineAPIResult:
    """Outcome of an api call: ``result`` tells success, ``data`` holds the value, ``exc`` the error."""

    def __init__(
        self,
        result: bool,
        message: str,
        exc: Optional[Exception] = None,
        data: Any = None,
        exc_trace: Optional[str] = None,
    ):
        self.result = result
        self.message = message
        self.exc = exc
        self.data = data
        self.exc_trace = exc_trace

    def __repr__(self) -> str:
        return (
            f"EngineAPIResult(result={self.result!r}, message={self.message!r}, exc={self.exc!r}, "
            f"data={self.data!r}, exc_trace={self.exc_trace!r})"
        )


def _ensure_return_api_result(func: Callable) -> Callable:
    """Turn a function's return value or exception into an :class:`EngineAPIResult`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs) -> EngineAPIResult:
        try:
            value = func(*args, **kwargs)
        except Exception as e:
            logger.exception("bamboo_engine.api.%s failed", func.__name__)
            return EngineAPIResult(
                result=False, message="fail", exc=e, data=None, exc_trace=traceback.format_exc()
            )
        if isinstance(value, EngineAPIResult):
            return value
        return EngineAPIResult(result=True, message="success", exc=None, data=value, exc_trace=None)

    return wrapper


# ---- control functions -------------------------------------------------------------------------------


@_ensure_return_api_result
def run_pipeline(runtime: EngineRuntimeInterface, pipeline: dict, **options) -> EngineAPIResult:
    """Validate ``pipeline`` (mutating it) and start it; options as :meth:`Engine.run_pipeline`."""
    return Engine(runtime).run_pipeline(pipeline, **options)


@_ensure_return_api_result
def pause_pipeline(runtime: EngineRuntimeInterface, pipeline_id: str) -> EngineAPIResult:
    """Suspend a root pipeline or a subprocess."""
    return Engine(runtime).pause_pipeline(pipeline_id)


@_ensure_return_api_result
def revoke_pipeline(runtime: EngineRuntimeInterface, pipeline_id: str) -> EngineAPIResult:
    """Revoke a pipeline."""
    return Engine(runtime).revoke_pipeline(pipeline_id)


@_ensure_return_api_result
def resume_pipeline(runtime: EngineRuntimeInterface, pipeline_id: str) -> EngineAPIResult:
    """Resume a SUSPENDED pipeline."""
    return Engine(runtime).resume_pipeline(pipeline_id)


@_ensure_return_api_result
def pause_node_appoint(runtime: EngineRuntimeInterface, node_id: str) -> EngineAPIResult:
    """Suspend a node in advance."""
    return Engine(runtime).pause_node_appoint(node_id)


@_ensure_return_api_result
def resume_node_appoint(runtime: EngineRuntimeInterface, node_id: str) -> EngineAPIResult:
    """Lift a node appointment."""
    return Engine(runtime).resume_node_appoint(node_id)


@_ensure_return_api_result
def retry_node(
    runtime: EngineRuntimeInterface, node_id: str, data: Optional[dict] = None, loop_retry: bool = False
) -> EngineAPIResult:
    """Re-run a FAILED node, optionally replacing its data inputs with ``data``."""
    return Engine(runtime).retry_node(node_id, data=data, loop_retry=loop_retry)


@_ensure_return_api_result
def retry_subprocess(runtime: EngineRuntimeInterface, node_id: str) -> EngineAPIResult:
    """Re-run a FAILED SubProcess node."""
    return Engine(runtime).retry_subprocess(node_id)


@_ensure_return_api_result
def skip_node(runtime: EngineRuntimeInterface, node_id: str, loop_skip: bool = False) -> EngineAPIResult:
    """Mark a FAILED node finished and continue."""
    return Engine(runtime).skip_node(node_id, loop_skip=loop_skip)


@_ensure_return_api_result
def skip_exclusive_gateway(runtime: EngineRuntimeInterface, node_id: str, flow_id: str) -> EngineAPIResult:
    """Finish a FAILED exclusive gateway along ``flow_id``."""
    return Engine(runtime).skip_exclusive_gateway(node_id, flow_id)


@_ensure_return_api_result
def skip_conditional_parallel_gateway(
    runtime: EngineRuntimeInterface, node_id: str, flow_ids: list, converge_gateway_id: str
) -> EngineAPIResult:
    """Finish a FAILED conditional parallel gateway by forking ``flow_ids``."""
    return Engine(runtime).skip_conditional_parallel_gateway(node_id, flow_ids, converge_gateway_id)


@_ensure_return_api_result
def forced_fail_activity(
    runtime: EngineRuntimeInterface, node_id: str, ex_data: str, send_post_set_state_signal: bool = True
) -> EngineAPIResult:
    """Fail a RUNNING activity now."""
    return Engine(runtime).forced_fail_activity(node_id, ex_data, send_post_set_state_signal)


@_ensure_return_api_result
def callback(runtime: EngineRuntimeInterface, node_id: str, version: str, data: dict) -> EngineAPIResult:
    """Deliver callback ``data`` to the schedule of ``node_id`` at ``version``."""
    return Engine(runtime).callback(node_id, version, data)


@_ensure_return_api_result
def update_context_values(
    runtime: EngineRuntimeInterface, pipeline_id: str, context_values: List[ContextValue]
) -> EngineAPIResult:
    """Rewrite existing context values of a pipeline (their references are recomputed)."""
    keys = {value.key for value in context_values}
    existing = {value.key for value in runtime.get_context_values(pipeline_id, keys)}
    missing = sorted(keys - existing)
    if missing:
        raise NotFoundError(f"context keys {missing} do not exist in pipeline({pipeline_id})")
    runtime.update_context_values(pipeline_id, context_values)
    return None  # type: ignore[return-value]


# ---- state queries ------------------------------------------------------------------------------------


@_ensure_return_api_result
def get_pipeline_states(runtime: EngineRuntimeInterface, root_id: str, flat_children=True) -> EngineAPIResult:
    """States of a root pipeline and everything under it (see api.md for the record shape)."""
    all_states = runtime.get_state_by_root(root_id)
    if not all_states:
        return {}  # type: ignore[return-value]
    root_state = None
    children = {}
    for state in all_states:
        if state.node_id == root_id:
            root_state = state
        else:
            children[state.node_id] = format_state(state)
    if root_state is None:
        root_state = runtime.get_state_or_none(root_id)
        if root_state is None:
            raise NotFoundError(f"state of root pipeline({root_id}) does not exist")
    if not flat_children:
        children = nest_children(children, root_id)
    # quirks (REQUIRED): parent_id is the root id; error fields come from the last state iterated
    record = format_state(root_state, error_state=all_states[-1], parent_id=root_state.root_id)
    record["children"] = children
    return {root_id: record}  # type: ignore[return-value]


@_ensure_return_api_result
def get_children_states(runtime: EngineRuntimeInterface, node_id: str) -> EngineAPIResult:
    """State of ``node_id`` with the states whose parent it is (one level)."""
    state = runtime.get_state_or_none(node_id)
    if state is None:
        return {}  # type: ignore[return-value]
    record = format_state(state, parent_id=state.root_id)
    record["children"] = {
        child.node_id: format_state(child) for child in runtime.get_state_by_parent(node_id)
    }
    return {node_id: record}  # type: ignore[return-value]


# ---- data queries -------------------------------------------------------------------------------------


@_ensure_return_api_result
def get_execution_data_inputs(runtime: EngineRuntimeInterface, node_id: str) -> EngineAPIResult:
    """The rendered inputs the node's service saw."""
    return runtime.get_execution_data_inputs(node_id)  # type: ignore[return-value]


@_ensure_return_api_result
def get_execution_data_outputs(runtime: EngineRuntimeInterface, node_id: str) -> EngineAPIResult:
    """The node's execution outputs."""
    return runtime.get_execution_data_outputs(node_id)  # type: ignore[return-value]


@_ensure_return_api_result
def get_execution_data(runtime: EngineRuntimeInterface, node_id: str) -> EngineAPIResult:
    """``{"inputs": ..., "outputs": ...}`` of the node's execution data."""
    data = runtime.get_execution_data(node_id)
    return {"inputs": data.inputs, "outputs": data.outputs}  # type: ignore[return-value]


@_ensure_return_api_result
def get_data(runtime: EngineRuntimeInterface, node_id: str) -> EngineAPIResult:
    """The node's raw data: unrendered inputs and its output mapping."""
    data = runtime.get_data(node_id)
    inputs = {key: {"need_render": di.need_render, "value": di.value} for key, di in data.inputs.items()}
    return {"inputs": inputs, "outputs": data.outputs}  # type: ignore[return-value]


@_ensure_return_api_result
def get_node_histories(runtime: EngineRuntimeInterface, node_id: str, loop: int = -1) -> EngineAPIResult:
    """Archived runs of a node (``loop=-1``: all loops)."""
    return [  # type: ignore[return-value]
        {
            "id": history.id,
            "node_id": history.node_id,
            "started_time": history.started_time,
            "archived_time": history.archived_time,
            "retry": history.retry,
            "loop": history.loop,
            "skip": history.skip,
            "version": history.version,
            "inputs": history.inputs,
            "outputs": history.outputs,
        }
        for history in runtime.get_histories(node_id, loop)
    ]


@_ensure_return_api_result
def get_node_short_histories(
    runtime: EngineRuntimeInterface, node_id: str, loop: int = -1
) -> EngineAPIResult:
    """Archived runs of a node without their inputs/outputs."""
    return [  # type: ignore[return-value]
        {
            "id": history.id,
            "node_id": history.node_id,
            "started_time": history.started_time,
            "archived_time": history.archived_time,
            "loop": history.loop,
            "skip": history.skip,
            "version": history.version,
        }
        for history in runtime.get_short_histories(node_id, loop)
    ]


# ---- debugging and previews ---------------------------------------------------------------------------


@_ensure_return_api_result
def get_pipeline_debug_info(runtime: EngineRuntimeInterface, pipeline_id: str):
    """Context values and processes of a pipeline, as ERI objects."""
    return {
        "context_values": runtime.get_context(pipeline_id),
        "processes": runtime.get_process_info_with_root_pipeline(pipeline_id),
    }


@_ensure_return_api_result
def get_node_debug_info(runtime: EngineRuntimeInterface, node_id: str):
    """Node, data and state of a node; errors loading data or state are collected in ``err``."""
    node = runtime.get_node(node_id)
    errors = []
    data = state = None
    try:
        data = runtime.get_data(node_id)
    except Exception:  # noqa: BLE001 - any runtime error is reported in the result
        errors.append(traceback.format_exc())
    try:
        state = runtime.get_state(node_id)
    except Exception:  # noqa: BLE001 - any runtime error is reported in the result
        errors.append(traceback.format_exc())
    return {"node": node, "data": data, "state": state, "err": errors}


@_ensure_return_api_result
def preview_node_inputs(
    runtime: EngineRuntimeInterface,
    pipeline: dict,
    node_id: str,
    subprocess_stack: List[str] = [],  # noqa: B006 (signature pinned by the public surface; never mutated)
    root_pipeline_data: dict = {},  # noqa: B006
    parent_params: dict = {},  # noqa: B006
):
    """Render a node's inputs against a validated tree without running anything."""
    return preview_inputs(runtime, pipeline, node_id, subprocess_stack, root_pipeline_data, parent_params)


# ---- execution time -----------------------------------------------------------------------------------


@_ensure_return_api_result
def get_pipeline_execution_time(runtime: EngineRuntimeInterface, pipeline_id: str):
    """How long a pipeline ran (until archived, or until now)."""
    return execution_time(runtime.get_state(pipeline_id))


@_ensure_return_api_result
def get_node_execution_time(runtime: EngineRuntimeInterface, node_id: str):
    """How long a node ran (until archived, or until now)."""
    return execution_time(runtime.get_state(node_id))
