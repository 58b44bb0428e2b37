"""What the ServiceActivity execute and schedule phases share: the service, hooks, and settling."""

import logging
from typing import Callable, Dict, Optional

from bamboo_engine.context import Context
from bamboo_engine.eri.models.event import HookType
from bamboo_engine.eri.models.node import ServiceActivity as ServiceActivityNode
from bamboo_engine.eri.models.runtime import CallbackData, ExecutionData, ProcessInfo
from bamboo_engine.handler import INNER_LOOP_KEY, LOOP_KEY, NodeHandler
from bamboo_engine.handlers._common import fail_node_state, finish_node, is_interrupt_error

logger = logging.getLogger("bamboo_engine")

RESULT_KEY = "_result"


class ServiceLoadError(Exception):
    """The node's service could not be obtained; ``str(error)`` is the ex_data."""


class ServiceHandlerBase(NodeHandler):
    """Helpers for :class:`~bamboo_engine.handlers.service_activity.ServiceActivityHandler`."""

    node: ServiceActivityNode

    def _service(self, process_info: ProcessInfo, version: str, loop: int, inner_loop: int):
        """The node's service with its runtime attributes set up.

        Raises:
            ServiceLoadError: the runtime has no such service (a runtime interrupt error propagates).
        """
        node = self.node
        try:
            service = self.runtime.get_service(
                code=node.code, version=node.version, name=node.name, inner_loop=inner_loop
            )
        except Exception as err:
            if is_interrupt_error(self.runtime, err):
                raise
            raise ServiceLoadError(
                f"service(code={node.code}, version={node.version}) of node({node.id}) load failed: {err}"
            ) from err
        service.setup_runtime_attributes(
            id=node.id,
            version=version,
            top_pipeline_id=process_info.top_pipeline_id,
            root_pipeline_id=process_info.root_pipeline_id,
            loop=loop,
            inner_loop=inner_loop,
        )
        return service

    def _hook(
        self,
        service,
        hook: HookType,
        data: ExecutionData,
        root_pipeline_data: ExecutionData,
        callback_data: Optional[CallbackData] = None,
    ) -> None:
        """Dispatch a service hook; hook errors never affect the node (components.md §7)."""
        try:
            if not service.need_run_hook():
                return
            if callback_data is None:
                service.hook_dispatch(hook, data, root_pipeline_data)
            else:
                service.hook_dispatch(hook, data, root_pipeline_data, callback_data)
        except Exception:
            logger.exception("node(%s) service hook %s failed", self.node.id, hook.value)

    @staticmethod
    def _mark_outputs(outputs: Dict, failed: bool, loop: int, inner_loop: int) -> None:
        """Every outcome carries ``_result``, ``_loop`` and ``_inner_loop`` (without offset)."""
        outputs[RESULT_KEY] = not failed
        outputs[LOOP_KEY] = loop
        outputs[INNER_LOOP_KEY] = inner_loop

    def _settle(
        self,
        pipeline_id: str,
        data_outputs: Dict[str, str],
        execution_data: ExecutionData,
        failed: bool,
        version: str,
        inner_loop: int,
        on_fail: Callable[[], None],
    ) -> Optional[str]:
        """Finish or fail the node after its service ran; returns the next node id (None = sleep).

        Outputs are mapped into the context in every branch (also on plain failure, so downstream
        retries see them) and before the final state is written, so observers of the state see them.
        """
        node = self.node
        error_ignored = False
        next_node_id: Optional[str]
        if not failed:
            next_node_id = node.next_node_id_in_loop(inner_loop)
        elif node.error_ignorable:
            next_node_id, error_ignored = node.target_nodes[0], True
        elif node.loop_fail_skip and node.loop_times:
            next_node_id, error_ignored = node.next_node_id_in_loop(inner_loop), True
        else:
            on_fail()
            next_node_id = None

        self.runtime.set_execution_data(node.id, execution_data)
        if data_outputs:
            Context(self.runtime, [], {}, inner_loop).extract_outputs(
                pipeline_id, data_outputs, execution_data.outputs, node=node
            )
        if next_node_id is None:
            fail_node_state(self.runtime, node.id, version)
        else:
            finish_node(self.runtime, node.id, version, error_ignored=error_ignored)
        return next_node_id
