"""Operator actions on a FAILED node: retry it, or mark it finished and move on."""

from typing import Any, Dict, List, Optional

from bamboo_engine import states
from bamboo_engine.engine.control_base import ControlBase
from bamboo_engine.engine.hooks import reset_for_retry
from bamboo_engine.eri import (
    ContextValue,
    ContextValueType,
    DataInput,
    HookType,
    Node,
    NodeType,
    ProcessInfo,
    State,
)
from bamboo_engine.exceptions import InvalidOperationError
from bamboo_engine.handler import atomic_step
from bamboo_engine.utils.string import format_var_key

ESCAPE_RENDER_KEYS = "_escape_render_keys"


class RetrySkipMixin(ControlBase):
    """retry_node, retry_subprocess, skip_node and the two gateway skips."""

    PURE_SKIP_ENABLE_NODE_TYPE = {NodeType.ServiceActivity, NodeType.EmptyStartEvent}

    # ---- retry -------------------------------------------------------------------------------------

    def retry_node(self, node_id: str, data: Optional[dict] = None, loop_retry: bool = False):
        """Re-run a FAILED node, optionally with new data inputs.

        Raises:
            InvalidOperationError: the node may not be retried or is not FAILED with a sleeping process.
        """
        node = self._get_node(node_id)
        self._check_retryable(node, loop_retry)
        state = self._require_state(node_id, states.FAILED)
        process_info = self._require_sleeping_process(node_id, state)
        new_inputs = _to_data_inputs(data) if data is not None else None

        self.runtime.pre_retry_node(node_id, data)
        self._node_hook(node, HookType.PRE_RETRY_NODE)
        with atomic_step(self.runtime):  # the reset and its message: both or neither
            if new_inputs is not None:
                self.runtime.set_data_inputs(node_id, new_inputs)
            self._add_history(state)
            if node.loop_enabled:
                self._trim_loop_outputs(node, process_info, drop_all=not loop_retry)
            # a loop retry re-runs the failed iteration (LOOP_READY) and is not counted as a retry
            self._reset_for_retry(
                state, states.LOOP_READY if loop_retry else states.READY, is_retry=not loop_retry
            )
            self._dispatch_execute(process_info, node_id)
        self.runtime.post_retry_node(node_id, data)
        self._node_hook(node, HookType.POST_RETRY_NODE)

    def retry_subprocess(self, node_id: str):
        """Re-run a SubProcess node that failed itself (e.g. its params could not be rendered)."""
        node = self._get_node(node_id)
        if node.type != NodeType.SubProcess:
            raise InvalidOperationError(f"node({node_id}) is not a SubProcess, actual: {node.type.value}")
        state = self._require_state(node_id, states.FAILED)
        process_info = self._require_sleeping_process(node_id, state)

        self.runtime.pre_retry_subprocess(node_id)
        with atomic_step(self.runtime):
            self._leave_failed_subprocess(process_info, node_id)
            self._add_history(state)
            self._reset_for_retry(state, states.READY, is_retry=True)
            self._dispatch_execute(process_info, node_id)
        self.runtime.post_retry_subprocess(node_id)

    def _leave_failed_subprocess(self, process_info: ProcessInfo, node_id: str) -> None:
        """The node failed after entering its child pipeline: leave it again before re-running."""
        stack = list(process_info.pipeline_stack)
        if stack and stack[-1] == node_id:
            stack.pop()
            self.runtime.set_pipeline_stack(process_info.process_id, stack)
            process_info.pipeline_stack = stack

    # ---- skip --------------------------------------------------------------------------------------

    def skip_node(self, node_id: str, loop_skip: bool = False):
        """Mark a FAILED node finished (``skip=True``) and continue after it.

        The node's outputs are deliberately not mapped into the context.
        """
        node = self._get_node(node_id)
        self._check_skippable(node, loop_skip)
        state = self._require_state(node_id, states.FAILED)
        process_info = self._require_sleeping_process(node_id, state)

        self.runtime.pre_skip_node(node_id)
        self._node_hook(node, HookType.PRE_SKIP_NODE)
        next_node_id = node.next_node_id_in_loop(state.inner_loop) if loop_skip else node.target_nodes[0]
        with atomic_step(self.runtime):
            self._finish_skipped(state)
            self._dispatch_execute(process_info, next_node_id)
        self.runtime.post_skip_node(node_id)
        self._node_hook(node, HookType.POST_SKIP_NODE)

    def skip_exclusive_gateway(self, node_id: str, flow_id: str):
        """Finish a FAILED exclusive gateway by taking the outgoing flow ``flow_id``."""
        node = self._get_node(node_id)
        if node.type != NodeType.ExclusiveGateway:
            raise InvalidOperationError(f"{node_id} is not exclusive gateway, actual: {node.type.value}")
        if flow_id not in node.targets:
            raise InvalidOperationError(f"flow({flow_id}) is not an outgoing flow of node({node_id})")
        state = self._require_state(node_id, states.FAILED)
        process_info = self._require_sleeping_process(node_id, state)

        self.runtime.pre_skip_exclusive_gateway(node_id, flow_id)
        with atomic_step(self.runtime):
            self._finish_skipped(state)
            self._dispatch_execute(process_info, node.targets[flow_id])
        self.runtime.post_skip_exclusive_gateway(node_id, flow_id)

    def skip_conditional_parallel_gateway(self, node_id: str, flow_ids: list, converge_gateway_id: str):
        """Finish a FAILED conditional parallel gateway by forking the chosen flows."""
        node = self._get_node(node_id)
        self._check_parallel_skip(node, flow_ids, converge_gateway_id)
        state = self._require_state(node_id, states.FAILED)
        process_info = self._require_sleeping_process(node_id, state)

        self.runtime.pre_skip_conditional_parallel_gateway(node_id, flow_ids, converge_gateway_id)
        with atomic_step(self.runtime):  # asleep implies sent, as for a fork of the engine
            self._fork_skipped(node, state, process_info, flow_ids, converge_gateway_id)
        self.runtime.post_skip_conditional_parallel_gateway(node_id, flow_ids, converge_gateway_id)

    def _fork_skipped(
        self, node: Node, state: State, process_info: ProcessInfo, flow_ids: list, converge_gateway_id: str
    ) -> None:
        self.runtime.sleep(process_info.process_id)
        # the published ERI annotates process ids here as str; runtimes receive the int id
        children = self.runtime.fork(
            parent_id=process_info.process_id,  # type: ignore[arg-type]
            root_pipeline_id=process_info.root_pipeline_id,
            pipeline_stack=process_info.pipeline_stack,
            from_to={node.targets[flow_id]: converge_gateway_id for flow_id in flow_ids},
        )
        child_ids = [child.process_id for child in children]
        self.runtime.join(process_info.process_id, child_ids)  # type: ignore[arg-type]
        # finished before the children run, so a fast child never sees the gateway still FAILED
        self._finish_skipped(state)
        for child in children:
            self.runtime.execute(
                process_id=child.process_id,
                node_id=child.node_id,
                root_pipeline_id=process_info.root_pipeline_id,
                parent_pipeline_id=process_info.top_pipeline_id,
            )

    # ---- helpers -----------------------------------------------------------------------------------

    def _check_retryable(self, node: Node, loop_retry: bool) -> None:
        if loop_retry:
            if not (node.can_loop_retryable and node.loop_times):
                raise InvalidOperationError(
                    f"can not loop retry node({node.id}) with loop retryable({node.can_loop_retryable}) "
                    f"and loop_times({node.loop_times})"
                )
        elif not node.can_retry:
            raise InvalidOperationError(f"can not retry node({node.id}) with can_retry({node.can_retry})")

    def _check_skippable(self, node: Node, loop_skip: bool) -> None:
        if loop_skip:
            if not (node.can_loop_skippable and node.loop_times):
                raise InvalidOperationError(
                    f"can not skip this node({node.id}) in loop with loop skippable"
                    f"({node.can_loop_skippable}) and loop_times({node.loop_times})"
                )
        elif not node.can_skip:
            raise InvalidOperationError(f"can not skip this node({node.id}) with can_skip({node.can_skip})")
        self._require_type(node, self.PURE_SKIP_ENABLE_NODE_TYPE, "skip_node")

    @staticmethod
    def _check_parallel_skip(node: Node, flow_ids: list, converge_gateway_id: str) -> None:
        if node.type != NodeType.ConditionalParallelGateway:
            raise InvalidOperationError(
                f"{node.id} is not conditional parallel gateway, actual: {node.type.value}"
            )
        if not flow_ids:
            raise InvalidOperationError(f"no flow chosen to skip conditional parallel gateway({node.id})")
        unknown = [flow_id for flow_id in flow_ids if flow_id not in node.targets]
        if unknown:
            raise InvalidOperationError(f"flows {unknown} are not outgoing flows of node({node.id})")
        expected = getattr(node, "converge_gateway_id", None)
        if not converge_gateway_id or (expected and converge_gateway_id != expected):
            raise InvalidOperationError(
                f"converge gateway({converge_gateway_id}) does not match node({node.id}), expected {expected}"
            )

    def _reset_for_retry(self, state: State, to_state: str, is_retry: bool) -> None:
        reset_for_retry(self.runtime, state, to_state, is_retry)

    def _finish_skipped(self, state: State) -> None:
        self._add_history(state)
        self.runtime.set_state(
            node_id=state.node_id,
            to_state=states.FINISHED,
            version=state.version,
            is_skip=True,
            refresh_version=True,
            set_archive_time=True,
        )

    def _trim_loop_outputs(self, node: Node, process_info: ProcessInfo, drop_all: bool) -> None:
        """Drop aggregated loop outputs of the failed run: all of them, or the last iteration's."""
        mapped = set(self.runtime.get_data_outputs(node.id).values())
        key = node.loop_outputs_key
        context_key = next((k for k in (key, format_var_key(key)) if k in mapped), None)
        if context_key is None:
            return
        pipeline_id = process_info.top_pipeline_id
        values = self.runtime.get_context_values(pipeline_id, {context_key})
        current = values[0].value if values else None
        if not isinstance(current, list):
            return
        trimmed: List[Any] = [] if drop_all else current[:-1]
        self.runtime.upsert_plain_context_values(
            pipeline_id,
            {context_key: ContextValue(key=context_key, type=ContextValueType.PLAIN, value=trimmed)},
        )


def _to_data_inputs(data: dict) -> Dict[str, DataInput]:
    """Turn retry data into node data inputs; keys in ``_escape_render_keys`` are not rendered."""
    escape_keys = data.get(ESCAPE_RENDER_KEYS) or []
    if not isinstance(escape_keys, list | tuple | set):
        raise InvalidOperationError(f"{ESCAPE_RENDER_KEYS} must be a list of input keys, got {escape_keys!r}")
    data.pop(ESCAPE_RENDER_KEYS, None)
    return {key: DataInput(need_render=key not in escape_keys, value=value) for key, value in data.items()}
