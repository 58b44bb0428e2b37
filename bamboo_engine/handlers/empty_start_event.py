"""EmptyStartEvent: freeze the pipeline's ``pre_render_keys``, then move on."""

import logging
from typing import List, Optional

from bamboo_engine.context import ContextHydrateError, load_context_for_keys
from bamboo_engine.eri.models.handler import ExecuteResult
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint
from bamboo_engine.eri.models.node import NodeType
from bamboo_engine.eri.models.runtime import ContextValue, ContextValueType, ProcessInfo
from bamboo_engine.exceptions import RenderInfrastructureError
from bamboo_engine.handler import NodeHandler, register_handler
from bamboo_engine.handlers._common import fail_node, finish_node, next_result
from bamboo_engine.utils.string import deformat_var_key, format_var_key

logger = logging.getLogger("bamboo_engine")

PRE_RENDER_KEYS = "pre_render_keys"


@register_handler(NodeType.EmptyStartEvent)
class EmptyStartEventHandler(NodeHandler):
    """Resolves ``pre_render_keys`` once and stores them as PLAIN values."""

    def execute(
        self,
        process_info: ProcessInfo,
        loop: int,
        inner_loop: int,
        version: str,
        recover_point: Optional[ExecuteInterruptPoint] = None,
    ) -> ExecuteResult:
        node = self.node
        keys = self._pre_render_keys()
        if keys:
            try:
                self._freeze(keys, inner_loop)
            except (ContextHydrateError, RenderInfrastructureError) as err:
                logger.warning("start event(%s) pre render failed: %s", node.id, err)
                cause = err.error if isinstance(err, ContextHydrateError) else err
                return fail_node(
                    self.runtime,
                    node,
                    version,
                    f"context hydrate failed({cause}), check node log for details.",
                )
        finish_node(self.runtime, node.id, version)
        return next_result(node.target_nodes[0])

    def _pre_render_keys(self) -> List[str]:
        pre_render = self.runtime.get_data_inputs(self.node.id).get(PRE_RENDER_KEYS)
        if pre_render is None or not pre_render.value:
            return []
        return [format_var_key(deformat_var_key(key)) for key in pre_render.value]

    def _freeze(self, keys: List[str], inner_loop: int) -> None:
        """Resolve ``keys`` (with their references) and upsert them as PLAIN values."""
        pipeline_id = self.node.parent_pipeline_id
        context = load_context_for_keys(
            self.runtime,
            pipeline_id,
            keys,
            inner_loop=inner_loop,
            root_pipeline_id=self.node.root_pipeline_id,
        )
        hydrated = context.hydrate()
        update = {
            key: ContextValue(key, ContextValueType.PLAIN, hydrated[key]) for key in keys if key in hydrated
        }
        if update:
            self.runtime.upsert_plain_context_values(pipeline_id, update)
