"""ServiceActivity: render inputs, run the plugin service, then finish, fail or wait for a schedule.

execute runs in named phases: ``_prepare_inputs`` → ``_run_service`` →
``_wait_for_schedule`` or ``_apply_result``. ``schedule`` lives in :mod:`._service_schedule`.
"""

import copy
import logging
import time
from typing import Any, Dict, List, Optional

from bamboo_engine.context import ContextHydrateError, load_context_for_templates
from bamboo_engine.eri.models.event import HookType
from bamboo_engine.eri.models.handler import ExecuteResult
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint
from bamboo_engine.eri.models.node import NodeType
from bamboo_engine.eri.models.runtime import ContextValue, Data, ExecutionData, ProcessInfo, ScheduleType
from bamboo_engine.exceptions import RenderInfrastructureError
from bamboo_engine.handler import register_handler
from bamboo_engine.handlers._common import (
    count_failed,
    fail_node,
    loop_context_values,
    loop_inputs,
    next_result,
    sleep_result,
    write_if_current,
)
from bamboo_engine.handlers._service_common import ServiceLoadError, WarmPoll, stored_form
from bamboo_engine.handlers._service_schedule import ServiceScheduleMixin
from bamboo_engine.interrupt import ExecuteKeyPoint
from bamboo_engine.metrics import (
    ENGINE_NODE_EXECUTE_POST_PROCESS_DURATION,
    ENGINE_NODE_EXECUTE_PRE_PROCESS_DURATION,
    labelled,
    node_type_label,
    observe,
)
from bamboo_engine.retry_policy import ATTEMPT_KEY
from bamboo_engine.template import Template
from bamboo_engine.utils.collections import FancyDict

logger = logging.getLogger("bamboo_engine")


class InputsPrepareError(Exception):
    """Inputs could not be hydrated or rendered; ``str(error)`` is the ex_data."""


@register_handler(NodeType.ServiceActivity)
class ServiceActivityHandler(ServiceScheduleMixin):
    """Runs the node's service once per version (never twice, even across interrupts)."""

    def execute(
        self,
        process_info: ProcessInfo,
        loop: int,
        inner_loop: int,
        version: str,
        recover_point: Optional[ExecuteInterruptPoint] = None,
    ) -> ExecuteResult:
        started = time.perf_counter()
        node = self.node
        data = self.runtime.get_data(node.id)
        root_inputs = self.memo.root_pipeline_inputs(self.runtime, process_info.root_pipeline_id)
        try:
            inputs = self._prepare_inputs(process_info, data, root_inputs, loop, inner_loop)
        except InputsPrepareError as err:
            # As upstream: the execution inputs of a node whose inputs could not be prepared are its
            # plain inputs only.
            inputs = copy.deepcopy(data.plain_inputs())
            return self._fail_before_service(str(err), inputs, loop, inner_loop, version)
        try:
            service = self._service(process_info, version, loop, inner_loop)
        except ServiceLoadError as err:
            return self._fail_before_service(str(err), inputs, loop, inner_loop, version)

        execution_data = ExecutionData(inputs, {})
        root_data = ExecutionData(root_inputs, {})
        type_label = node_type_label(node)
        labelled(ENGINE_NODE_EXECUTE_PRE_PROCESS_DURATION, type=type_label).observe(
            time.perf_counter() - started
        )
        failed = self._run_service(service, execution_data, root_data, process_info, recover_point)
        with observe(ENGINE_NODE_EXECUTE_POST_PROCESS_DURATION, type=type_label):
            self._mark_outputs(execution_data.outputs, failed, loop, inner_loop)
            if not failed and service.need_schedule():
                return self._wait_for_schedule(service, execution_data, root_data, data.outputs, version)
            return self._apply_result(
                process_info, data, service, execution_data, root_data, failed, version, inner_loop
            )

    def _fail_before_service(
        self, ex_data: str, inputs: Dict[str, Any], loop: int, inner_loop: int, version: str
    ) -> ExecuteResult:
        """The service could not run at all: FAILED with ``ex_data`` (not subject to error_ignorable)."""
        outputs: Dict[str, Any] = {}
        self._mark_outputs(outputs, True, loop, inner_loop)
        return fail_node(self.runtime, self.node, version, ex_data, inputs=inputs, outputs=outputs)

    # ------------------------------------------------------------------ phase 1: inputs

    def _prepare_inputs(
        self, process_info: ProcessInfo, data: Data, root_inputs: dict, loop: int, inner_loop: int
    ) -> Dict[str, Any]:
        """Plain inputs + rendered template inputs + ``_loop``/``_inner_loop`` (with offset), and
        ``_attempt`` for a node with a ``retry_policy``.

        Raises:
            InputsPrepareError: hydrating the context or rendering failed.
        """
        pipeline_id = process_info.top_pipeline_id
        loop_values = loop_context_values(data.outputs, loop, inner_loop)
        if loop_values:
            self.runtime.upsert_plain_context_values(pipeline_id, {cv.key: cv for cv in loop_values})
        # Copies: the service may mutate its inputs, and the runtime may hand out shared objects.
        inputs = copy.deepcopy(data.plain_inputs())
        to_render = copy.deepcopy(data.need_render_inputs())
        if to_render and Template(to_render).get_templates():
            inputs.update(self._render(pipeline_id, to_render, root_inputs, inner_loop, loop_values))
        else:
            inputs.update(to_render)
        inputs.update(loop_inputs(loop, inner_loop))
        if self.node.retry_policy is not None:
            inputs[ATTEMPT_KEY] = self.attempt
        return inputs

    def _render(
        self,
        pipeline_id: str,
        to_render: Dict[str, Any],
        root_inputs: dict,
        inner_loop: int,
        loop_values: List[ContextValue],
    ) -> Dict[str, Any]:
        context = load_context_for_templates(
            self.runtime,
            pipeline_id,
            to_render,
            additional_data=root_inputs,
            inner_loop=inner_loop,
            extra_values=loop_values,
        )
        try:
            hydrated = context.hydrate(deformat=True)
        except RenderInfrastructureError as err:
            self.interrupter.check_point.handler_data.render_infrastructure_failed = True
            raise InputsPrepareError(
                f"inputs hydrate failed(render infrastructure error: {err}), check node log for details"
            ) from err
        except ContextHydrateError as err:
            logger.warning("node(%s) inputs hydrate failed: %s", self.node.id, err)
            raise InputsPrepareError(
                f"inputs hydrate failed({err.error}), check node log for details"
            ) from err
        try:
            return Template(to_render).render(hydrated)
        except RenderInfrastructureError as err:
            self.interrupter.check_point.handler_data.render_infrastructure_failed = True
            raise InputsPrepareError(
                f"inputs render failed(render infrastructure error: {err}), check node log for details"
            ) from err

    # ------------------------------------------------------------------ phase 2: the service

    def _run_service(
        self,
        service,
        execution_data: ExecutionData,
        root_data: ExecutionData,
        process_info: ProcessInfo,
        recover_point: Optional[ExecuteInterruptPoint],
    ) -> bool:
        """Execute the service unless an interrupted attempt already did; returns whether it failed."""
        recovered = recover_point.handler_data if recover_point is not None else None
        if recovered is not None and recovered.service_executed:
            failed = recovered.service_execute_fail
            execution_data.outputs = FancyDict(
                self.runtime.deserialize_execution_data(
                    recovered.execute_serialize_outputs, recovered.execute_outputs_serializer
                )
            )
        else:
            failed = self._call_execute(service, execution_data, root_data, process_info.root_pipeline_id)

        failed, serialized_outputs = self._storable_outcome(execution_data, failed)
        handler_data = self.interrupter.check_point.handler_data
        handler_data.service_executed = True
        handler_data.service_execute_fail = failed
        handler_data.execute_serialize_outputs, handler_data.execute_outputs_serializer = serialized_outputs
        self.interrupter.check(ExecuteKeyPoint.SA_SERVICE_EXECUTE_DONE)
        return failed

    def _call_execute(
        self, service, execution_data: ExecutionData, root_data: ExecutionData, root_pipeline_id: str
    ) -> bool:
        self._notify(HookType.NODE_ENTER, root_pipeline_id, before_service=True)
        self._hook(service, HookType.NODE_ENTER, execution_data, root_data)
        return self._call_service(
            "execute",
            service,
            lambda: service.execute(data=execution_data, root_pipeline_data=root_data),
            execution_data,
            root_data,
            root_pipeline_id,
        )

    # ------------------------------------------------------------------ phase 3: outcome

    def _wait_for_schedule(
        self,
        service,
        execution_data: ExecutionData,
        root_data: ExecutionData,
        data_outputs: Dict[str, str],
        version: str,
    ) -> ExecuteResult:
        """Save the execution data; the engine creates the schedule and the process sleeps.

        What the first poll needs is kept in memory: when the engine runs that poll right away in this
        worker (``Engine.INLINE_FIRST_POLL``), it does not read any of it back.
        """
        schedule_type = service.schedule_type()
        schedule_after = -1
        if schedule_type == ScheduleType.POLL:
            schedule_after = service.schedule_after(None, execution_data, root_data)
            # quirk: interval generators without next() return None; poll again right away.
            schedule_after = 0 if schedule_after is None else schedule_after
        if not self._save_before_schedule(execution_data, version, schedule_type, schedule_after):
            self.stale = True
            return sleep_result()
        self.warm_poll = WarmPoll(
            execution_data, root_data, data_outputs, stored_form(self.runtime, execution_data)
        )
        return ExecuteResult(
            should_sleep=True,
            schedule_ready=True,
            schedule_type=schedule_type,
            schedule_after=schedule_after,
            dispatch_processes=[],
            next_node_id=None,
        )

    def _save_before_schedule(
        self, execution_data: ExecutionData, version: str, schedule_type, schedule_after
    ) -> bool:
        """Save what execute produced; False when the run went stale meanwhile (nothing saved).

        A schedule message starts with a state check, and its write may be a while away: check the
        version right before writing (one ``get_state``). A first poll due at once runs inline right
        after this and ends with the versioned state write, so it is saved unchecked (the inline poll
        must stay free of reads; a forced failure during such an execute may see its ``ex_data``
        replaced by the execute's outputs, but the node stays FAILED and the poll is dropped).
        """
        write = lambda: self.runtime.set_execution_data(self.node.id, execution_data)  # noqa: E731
        if schedule_type == ScheduleType.POLL and schedule_after <= 0:
            write()
            return True
        return write_if_current(self.runtime, self.node.id, version, write)

    def _apply_result(
        self,
        process_info: ProcessInfo,
        data: Data,
        service,
        execution_data: ExecutionData,
        root_data: ExecutionData,
        failed: bool,
        version: str,
        inner_loop: int,
    ) -> ExecuteResult:
        root_pipeline_id = process_info.root_pipeline_id

        def on_fail() -> None:
            count_failed(self.node, "execute")
            self.runtime.node_execute_fail(root_pipeline_id, self.node.id)
            self._hook(service, HookType.NODE_EXECUTE_FAIL, execution_data, root_data)

        next_node_id = self._settle(
            process_info, data.outputs, execution_data, failed, version, inner_loop, on_fail
        )
        return sleep_result() if next_node_id is None else next_result(next_node_id)
