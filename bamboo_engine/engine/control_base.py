"""Precondition checks and bookkeeping shared by the Engine's control operations.

Every control operation first checks all of its preconditions with reads only, and only then writes,
so a refused operation leaves the runtime untouched.
"""

from typing import TYPE_CHECKING, Any, Callable, Optional, Set

from bamboo_engine import states
from bamboo_engine.engine.hooks import archive_run
from bamboo_engine.eri import HookType, Node, NodeType, ProcessInfo, State
from bamboo_engine.exceptions import InvalidOperationError, NotFoundError

if TYPE_CHECKING:
    from bamboo_engine.eri.interfaces import EngineRuntimeInterface

PIPELINE_NODE_TYPES = frozenset({NodeType.SubProcess, NodeType.SubCanvas})


class ControlBase:
    """Read-only precondition helpers and small write helpers for the control mixins."""

    if TYPE_CHECKING:
        # Provided by Engine.__init__ and WorkerMixin; declared (not defined) so the MRO keeps theirs.
        runtime: EngineRuntimeInterface
        hook_dispatch: Callable[..., Any]

    def _get_node(self, node_id: str) -> Node:
        try:
            return self.runtime.get_node(node_id)
        except NotFoundError:
            raise NotFoundError(f"node({node_id}) does not exist")

    def _get_state(self, node_id: str) -> State:
        state = self.runtime.get_state_or_none(node_id)
        if state is None:
            raise NotFoundError(f"node({node_id}) state does not exist")
        return state

    def _get_pipeline_state(self, pipeline_id: str) -> State:
        """State of a root pipeline or of a SubProcess/SubCanvas (whose ids are their pipelines' ids)."""
        state = self.runtime.get_state_or_none(pipeline_id)
        if state is None:
            raise NotFoundError(f"node({pipeline_id}) does not exist")
        # the root's state has itself as root; any other id must be a SubProcess/SubCanvas node, or
        # e.g. pausing an activity "as a pipeline" would strand its process
        if state.root_id != pipeline_id:
            node = self._get_node(pipeline_id)
            if node.type not in PIPELINE_NODE_TYPES:
                raise InvalidOperationError(
                    f"node({pipeline_id}) is a {node.type.value}, not a pipeline (actual state {state.name})"
                )
        return state

    def _require_state(self, node_id: str, expected: str) -> State:
        state = self._get_state(node_id)
        if state.name != expected:
            raise InvalidOperationError(f"{node_id} state is not {expected}, actual {state.name}")
        return state

    def _require_type(self, node: Node, allowed: Set[NodeType], operation: str) -> None:
        if node.type not in allowed:
            raise InvalidOperationError(
                f"can not use {operation} api for node({node.id}) of type {node.type.value}"
            )

    def _require_transit(self, node_id: str, state: Optional[State], to_state: str, operation: str) -> None:
        if state is not None and not states.can_transit(state.name, to_state):
            raise InvalidOperationError(
                f"can not {operation} node({node_id}): state {state.name} can not transit to {to_state}"
            )

    def _require_sleeping_process(self, node_id: str, state: State) -> ProcessInfo:
        process_info = self.runtime.get_sleep_process_info_with_current_node_id(node_id)
        if process_info is None:
            raise InvalidOperationError(
                f"can not find sleep process with current node id: {node_id} (state {state.name})"
            )
        return process_info

    def _add_history(self, state: State) -> None:
        """Archive the node's current run before a retry/skip overwrites it."""
        archive_run(self.runtime, state)

    def _node_hook(self, node: Node, hook: HookType, **kwargs: Any) -> None:
        """Run a service hook of ``node`` (a no-op for nodes without a hook-enabled service)."""
        self.hook_dispatch(node.parent_pipeline_id, node.root_pipeline_id, node.id, hook, node=node, **kwargs)

    def _dispatch_execute(self, process_info: ProcessInfo, node_id: str) -> None:
        self.runtime.execute(
            process_id=process_info.process_id,
            node_id=node_id,
            root_pipeline_id=process_info.root_pipeline_id,
            parent_pipeline_id=process_info.top_pipeline_id,
        )

    def _resume_processes_suspended_by(self, suspended_by: str) -> None:
        """Wake every process suspended by ``suspended_by`` and re-run it at its current node."""
        suspended = self.runtime.get_suspended_process_info(suspended_by)
        if not suspended:
            return
        self.runtime.batch_resume([info.process_id for info in suspended])
        for info in suspended:
            self.runtime.execute(
                process_id=info.process_id,
                node_id=info.current_node,
                root_pipeline_id=info.root_pipeline_id,
                parent_pipeline_id=info.top_pipeline_id,
            )
