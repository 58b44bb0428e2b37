"""SubProcess: render the params in the parent context, seed the child context, enter the child."""

import copy
import logging
from typing import Any, Dict, Optional

from bamboo_engine.context import ContextHydrateError, load_context_for_templates
from bamboo_engine.eri.models.handler import ExecuteResult
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint
from bamboo_engine.eri.models.node import NodeType
from bamboo_engine.eri.models.node import SubProcess as SubProcessNode
from bamboo_engine.eri.models.runtime import ContextValue, ContextValueType, Data, ExecutionData, ProcessInfo
from bamboo_engine.exceptions import RenderInfrastructureError
from bamboo_engine.handler import NodeHandler, register_handler
from bamboo_engine.handlers._common import fail_node, loop_context_values, next_result
from bamboo_engine.handlers._stack import push_pipeline
from bamboo_engine.template import Template

logger = logging.getLogger("bamboo_engine")


class ParamsRenderError(Exception):
    """Rendering the params failed; ``str(error)`` is the ex_data."""


@register_handler(NodeType.SubProcess)
class SubProcessHandler(NodeHandler):
    """The node stays RUNNING until the child's end event finishes it."""

    node: SubProcessNode

    def execute(
        self,
        process_info: ProcessInfo,
        loop: int,
        inner_loop: int,
        version: str,
        recover_point: Optional[ExecuteInterruptPoint] = None,
    ) -> ExecuteResult:
        node = self.node
        self.runtime.reset_children_state_inner_loop(node.id)
        data = self.runtime.get_data(node.id)
        try:
            params = self._render_params(data, loop, inner_loop)
        except ParamsRenderError as err:
            return fail_node(self.runtime, node, version, str(err), inputs={})

        self.runtime.set_execution_data(node.id, ExecutionData(params, {}))
        if params:
            update = {key: ContextValue(key, ContextValueType.PLAIN, value) for key, value in params.items()}
            self.runtime.upsert_plain_context_values(node.id, update)
        push_pipeline(self.runtime, self.interrupter, process_info, node.id)
        return next_result(node.start_event_id)

    def _render_params(self, data: Data, loop: int, inner_loop: int) -> Dict[str, Any]:
        """Params rendered against the parent context (``_loop`` mappings included)."""
        parent_id = self.node.parent_pipeline_id
        loop_values = loop_context_values(data.outputs, loop, inner_loop)
        if loop_values:
            self.runtime.upsert_plain_context_values(parent_id, {cv.key: cv for cv in loop_values})
        params = data.plain_inputs()
        to_render = copy.deepcopy(data.need_render_inputs())
        if not to_render:
            return params
        context = load_context_for_templates(
            self.runtime,
            parent_id,
            to_render,
            inner_loop=inner_loop,
            root_pipeline_id=self.node.root_pipeline_id,
            extra_values=loop_values,
        )
        try:
            hydrated = context.hydrate(deformat=True)
            params.update(Template(to_render).render(hydrated))
        except RenderInfrastructureError as err:
            self.interrupter.check_point.handler_data.render_infrastructure_failed = True
            raise ParamsRenderError(f"params render failed(render infrastructure error: {err})") from err
        except ContextHydrateError as err:
            logger.warning("subprocess(%s) params hydrate failed: %s", self.node.id, err)
            raise ParamsRenderError(
                f"context hydrate failed({err.error}), check node log for details."
            ) from err
        return params
