"""Node hooks the engine dispatches itself, and the work done when a node finished and moved on."""

import logging
from typing import Any, Optional

from bamboo_engine import states
from bamboo_engine.codec import drop_unstorable
from bamboo_engine.context import root_pipeline_inputs
from bamboo_engine.eri.models.event import HookType
from bamboo_engine.eri.models.node import Node, NodeType
from bamboo_engine.eri.models.runtime import CallbackData, ExecutionData, State
from bamboo_engine.exceptions import NotFoundError, UnstorableValueError
from bamboo_engine.utils.constants import RuntimeSettings

logger = logging.getLogger("bamboo_engine")

_END_EVENT_TYPES = frozenset({NodeType.EmptyEndEvent, NodeType.ExecutableEndEvent})

# Hooks whose changes to the execution data are written back (the others are read-only notifications).
PERSISTED_HOOKS = frozenset(
    {
        HookType.NODE_ENTER,
        HookType.NODE_FINISH,
        HookType.NODE_EXECUTE_FAIL,
        HookType.NODE_SCHEDULE_FAIL,
        HookType.NODE_EXECUTE_EXCEPTION,
        HookType.NODE_SCHEDULE_EXCEPTION,
    }
)


def dispatch_node_hook(
    runtime: Any,
    root_pipeline_id: str,
    node_id: str,
    hook: HookType,
    node: Optional[Node] = None,
    service: Optional[Any] = None,
    callback_data: Optional[CallbackData] = None,
    top_pipeline_id: Optional[str] = None,
) -> None:
    """Run ``hook`` on the node's service if it is an activity whose service wants hooks.

    A service the step already runs (``service``) carries its runtime attributes; one loaded here (hooks
    of control calls such as ``pre_callback``) gets them from the node's state, so ``self.id``,
    ``self.version`` and the loop counters read the same in every hook.

    Never raises: a hook is a notification and must not break the flow that dispatched it.
    """
    try:
        node = node if node is not None else runtime.get_node(node_id)
        if node.type != NodeType.ServiceActivity:
            return
        if service is None:
            service = _loaded_service(runtime, node, root_pipeline_id, top_pipeline_id)
        if not service.need_run_hook():
            return
        data = execution_data_or_empty(runtime, node_id)
        root_pipeline_data = ExecutionData(inputs=root_pipeline_inputs(runtime, root_pipeline_id), outputs={})
        service.hook_dispatch(hook, data, root_pipeline_data, callback_data)
        if hook in PERSISTED_HOOKS:
            _persist_hook_data(runtime, node_id, hook, data)
    except Exception:
        logger.exception(
            "hook %s of node(%s) in pipeline(%s) failed", _hook_name(hook), node_id, root_pipeline_id
        )


def _loaded_service(runtime: Any, node: Node, root_pipeline_id: str, top_pipeline_id: Optional[str]) -> Any:
    service = runtime.get_service(code=node.code, version=node.version, name=node.name)  # type: ignore
    state = runtime.get_state_or_none(node.id)
    attributes = {"id": node.id, "root_pipeline_id": root_pipeline_id, "top_pipeline_id": top_pipeline_id}
    if state is not None:
        attributes.update(version=state.version, loop=state.loop, inner_loop=state.inner_loop)
    service.setup_runtime_attributes(**attributes)
    return service


def _persist_hook_data(runtime: Any, node_id: str, hook: HookType, data: ExecutionData) -> None:
    """Write the execution data a hook changed; values the runtime cannot store are dropped (logged)."""
    try:
        runtime.set_execution_data(node_id, data)
        return
    except UnstorableValueError:
        pass
    errors = drop_unstorable(
        runtime.serialize_execution_data, {"inputs": data.inputs, "outputs": data.outputs}
    )
    logger.warning(
        "hook %s of node(%s) left values that cannot be stored, they are dropped: %s",
        _hook_name(hook),
        node_id,
        "; ".join(str(err) for err in errors),
    )
    runtime.set_execution_data(node_id, data)


def notify(hook: Any, *args: Any) -> None:
    """Call a runtime ``post_`` task hook; its failure is logged, never raised.

    The ``post_`` hooks are notifications after the work is done; their failure must not turn a completed
    step into an error (or, for an interrupt error, into a re-dispatch of finished work).
    """
    try:
        hook(*args)
    except Exception:
        logger.exception("runtime hook %s failed", getattr(hook, "__name__", hook))


def execution_data_or_empty(runtime: Any, node_id: str) -> ExecutionData:
    try:
        return runtime.get_execution_data(node_id)
    except NotFoundError:
        # Hooks such as PRE_PAUSE_NODE may fire before the node ever ran.
        return ExecutionData(inputs={}, outputs={})


def archive_run(runtime: Any, state: State) -> None:
    """Add the node's current run (``state`` and its execution data) to its history.

    Done before a re-entry, retry or skip overwrites the run. A node can end before it saved any
    execution data (e.g. a gateway's hydrate error); its history then has empty inputs/outputs.
    """
    data = execution_data_or_empty(runtime, state.node_id)
    runtime.add_history(
        node_id=state.node_id,
        started_time=state.started_time,
        archived_time=state.archived_time,
        loop=state.loop,
        skip=state.skip,
        retry=state.retry,
        version=state.version,
        inputs=data.inputs or {},
        outputs=data.outputs or {},
    )


def reset_for_retry(runtime: Any, state: State, to_state: str, is_retry: bool) -> None:
    """Reset a FAILED node for another run: ``to_state`` (READY or LOOP_READY), a new version, times cleared.

    The write ``retry_node`` and an automatic retry (``retry_policy``) share; the version check refuses
    it if the node changed since ``state`` was read.
    """
    runtime.set_state(
        node_id=state.node_id,
        to_state=to_state,
        version=state.version,
        is_retry=is_retry,
        refresh_version=True,
        clear_started_time=True,
        clear_archived_time=True,
    )


def retry_in_place(runtime: Any, state: State) -> None:
    """An automatic retry: the failed run archived and the node READY again, as ``retry_node`` leaves it.

    Call it inside a unit (``atomic_step``) with the write that follows.
    """
    archive_run(runtime, state)
    reset_for_retry(runtime, state, states.READY, is_retry=True)


def _hook_name(hook: Any) -> str:
    return hook.value if isinstance(hook, HookType) else str(hook)


class NodeFinisher:
    """Work done once a node finished and the process moves on past it.

    Holds the per-step cache of the rollback setting so one step with many nodes reads it once.
    """

    def __init__(self, engine: Any, root_pipeline_id: str):
        self.engine = engine
        self.runtime = engine.runtime
        self.root_pipeline_id = root_pipeline_id
        self._rollback_enabled: Optional[bool] = None

    def finished(
        self,
        node: Node,
        top_pipeline_id: str,
        service: Optional[Any] = None,
        callback_data: Optional[CallbackData] = None,
    ) -> bool:
        """Run the finish hooks and rollback bookkeeping of ``node``.

        Args:
            callback_data: the callback whose schedule finished the node, handed to its ``NODE_FINISH``
                hook (a plugin receives it only if its ``node_finish`` takes ``callback_data``).

        Returns:
            False when the process must stop here (a rollback is reserved on this node: the caller
            hands over with :meth:`start_reserved_rollback`), else True.
        """
        self.runtime.node_finish(self.root_pipeline_id, node.id)
        if node.type in _END_EVENT_TYPES and node.parent_pipeline_id != self.root_pipeline_id:
            # The child pipeline ended, and with it its SubProcess/SubCanvas node.
            self.runtime.node_finish(self.root_pipeline_id, node.parent_pipeline_id)
        self.engine.hook_dispatch(
            top_pipeline_id,
            self.root_pipeline_id,
            node.id,
            HookType.NODE_FINISH,
            node=node,
            service=service,
            callback_data=callback_data,
        )
        if node.type != NodeType.ServiceActivity or not self._rollback_on():
            return True
        self._save_snapshot(node)
        return not self._reserved(node)

    def _reserved(self, node: Node) -> bool:
        """Whether a rollback is reserved on ``node``, read again when the step's copy says no.

        A reservation is written by the rollback api while the node runs, possibly after this step read
        the node; the api checks the node is still RUNNING after its write, so reading again after the
        node finished makes every reservation either seen here or refused there.
        """
        return node.reserve_rollback or self.runtime.get_node(node.id).reserve_rollback

    def start_reserved_rollback(self, process_id: int, node: Node) -> None:
        """Park the process at ``node`` and hand over to the rollback reserved there.

        The rollback runs the pipeline again from its target with this process, or sends it on to the
        next node when the reservation is gone by now.
        """
        self.runtime.sleep(process_id)
        self.runtime.start_rollback(self.root_pipeline_id, node.id)

    def _rollback_on(self) -> bool:
        if self._rollback_enabled is None:
            self._rollback_enabled = bool(
                self.runtime.get_config(RuntimeSettings.PIPELINE_ENABLE_ROLLBACK.value)
            )
        return self._rollback_enabled

    def _save_snapshot(self, node: Node) -> None:
        data = execution_data_or_empty(self.runtime, node.id)
        # The root pipeline's inputs: what the service got as ``parent_data``, which its rollback gets too.
        self.runtime.set_node_snapshot(
            root_pipeline_id=self.root_pipeline_id,
            node_id=node.id,
            code=node.code,  # type: ignore[attr-defined]
            version=node.version,  # type: ignore[attr-defined]
            context_values=root_pipeline_inputs(self.runtime, self.root_pipeline_id),
            inputs=dict(data.inputs or {}),
            outputs=dict(data.outputs or {}),
        )
