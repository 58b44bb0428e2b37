"""EmptyEndEvent: publish the (sub)pipeline outputs, finish it, and leave it.

At the root the process dies; in a SubProcess/SubCanvas the outputs flow into the parent context
through the SubProcess node's output mapping and the process continues at that node's target.
"""

import logging
from typing import Any, Dict, Optional

from bamboo_engine.context import Context, ContextHydrateError, load_context_for_keys
from bamboo_engine.eri.models.handler import ExecuteResult
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint
from bamboo_engine.eri.models.node import NodeType
from bamboo_engine.eri.models.runtime import ProcessInfo
from bamboo_engine.exceptions import RenderInfrastructureError
from bamboo_engine.handler import INNER_LOOP_KEY, LOOP_KEY, NodeHandler, register_handler
from bamboo_engine.handlers._common import die_result, fail_node, finish_node, next_result

logger = logging.getLogger("bamboo_engine")


class PipelineOutputsError(Exception):
    """Resolving the pipeline's outputs failed; ``str(error)`` is the ex_data."""


@register_handler(NodeType.EmptyEndEvent)
class EmptyEndEventHandler(NodeHandler):
    """Ends the (sub)pipeline the node belongs to (``node.parent_pipeline_id``)."""

    def execute(
        self,
        process_info: ProcessInfo,
        loop: int,
        inner_loop: int,
        version: str,
        recover_point: Optional[ExecuteInterruptPoint] = None,
    ) -> ExecuteResult:
        return self._end_pipeline(process_info, inner_loop, version)

    def _end_pipeline(self, process_info: ProcessInfo, inner_loop: int, version: str) -> ExecuteResult:
        node = self.node
        # The node knows its pipeline; the process stack may already be popped by an interrupted attempt.
        pipeline_id = node.parent_pipeline_id
        try:
            outputs = self._pipeline_outputs(pipeline_id, inner_loop)
        except PipelineOutputsError as err:
            return fail_node(self.runtime, node, version, str(err))

        in_subprocess = pipeline_id != node.root_pipeline_id
        next_node_id = self._leave_subprocess(process_info, outputs) if in_subprocess else None
        self.runtime.set_execution_data_outputs(node.id, outputs)
        self.runtime.set_execution_data_outputs(pipeline_id, outputs)
        finish_node(self.runtime, node.id, version)
        finish_node(self.runtime, pipeline_id, None)
        if next_node_id is not None:
            return next_result(next_node_id)
        self.runtime.pipeline_finish(pipeline_id)
        return die_result()

    def _leave_subprocess(self, process_info: ProcessInfo, outputs: Dict[str, Any]) -> str:
        """Pop the stack and hand the outputs to the parent; returns the SubProcess node's target.

        Adds the SubProcess node's ``_loop``/``_inner_loop`` to ``outputs``. Runs before the states are
        finished so that whoever sees the SubProcess FINISHED also sees its outputs in the parent.
        """
        pipeline_id = self.node.parent_pipeline_id
        sp_node = self.runtime.get_node(pipeline_id)
        sp_state = self.runtime.get_state(pipeline_id)
        outputs[LOOP_KEY] = sp_state.loop
        outputs[INNER_LOOP_KEY] = sp_state.inner_loop
        self._pop_stack(process_info, pipeline_id)
        sp_outputs_mapping = self.runtime.get_data_outputs(pipeline_id)
        if sp_outputs_mapping:
            Context(self.runtime, [], {}).extract_outputs(
                sp_node.parent_pipeline_id, sp_outputs_mapping, outputs
            )
        return sp_node.target_nodes[0]

    def _pipeline_outputs(self, pipeline_id: str, inner_loop: int) -> Dict[str, Any]:
        """``{key: value}`` of the pipeline's declared outputs (keys in ``${}`` form)."""
        keys = set(self.runtime.get_context_outputs(pipeline_id) or ())
        if not keys:
            return {}
        context = load_context_for_keys(
            self.runtime,
            pipeline_id,
            keys,
            inner_loop=inner_loop,
            root_pipeline_id=self.node.root_pipeline_id,
        )
        try:
            hydrated = context.hydrate()
        except (ContextHydrateError, RenderInfrastructureError) as err:
            logger.warning("end event(%s) outputs hydrate failed: %s", self.node.id, err)
            raise PipelineOutputsError(
                f"pipeline outputs hydrate failed({err}), check node log for details"
            ) from err
        return {key: hydrated[key] for key in keys if key in hydrated}

    def _pop_stack(self, process_info: ProcessInfo, pipeline_id: str) -> None:
        stack = list(process_info.pipeline_stack)
        if stack and stack[-1] == pipeline_id:
            self.runtime.set_pipeline_stack(process_info.process_id, stack[:-1])
