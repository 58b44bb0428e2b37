"""ServiceActivity schedule (execution.md §2 "schedule"): one message = one ``service.schedule`` call."""

import logging
import traceback
from typing import Optional, Tuple

from bamboo_engine.context import root_pipeline_inputs
from bamboo_engine.eri.models.event import HookType
from bamboo_engine.eri.models.handler import ScheduleResult
from bamboo_engine.eri.models.interrupt import ScheduleInterruptPoint
from bamboo_engine.eri.models.runtime import CallbackData, ExecutionData, ProcessInfo, Schedule, ScheduleType
from bamboo_engine.handlers._common import fail_node, schedule_finished_result
from bamboo_engine.handlers._service_common import ServiceHandlerBase, ServiceLoadError
from bamboo_engine.interrupt import ScheduleKeyPoint
from bamboo_engine.utils.collections import FancyDict

logger = logging.getLogger("bamboo_engine")


class ServiceScheduleMixin(ServiceHandlerBase):
    """The ``schedule`` half of the ServiceActivity handler."""

    def schedule(
        self,
        process_info: ProcessInfo,
        loop: int,
        inner_loop: int,
        schedule: Schedule,
        callback_data: Optional[CallbackData] = None,
        recover_point: Optional[ScheduleInterruptPoint] = None,
    ) -> ScheduleResult:
        node = self.node
        execution_data = self.runtime.get_execution_data(node.id)
        root_data = ExecutionData(root_pipeline_inputs(self.runtime, process_info.root_pipeline_id), {})
        try:
            service = self._service(process_info, schedule.version, loop, inner_loop)
        except ServiceLoadError as err:
            self._mark_outputs(execution_data.outputs, True, loop, inner_loop)
            fail_node(
                self.runtime,
                node.id,
                schedule.version,
                str(err),
                inputs=execution_data.inputs,
                outputs=execution_data.outputs,
            )
            return schedule_finished_result(None)

        schedule.times += 1
        failed, done = self._run_schedule(
            service, schedule, execution_data, root_data, callback_data, process_info, recover_point
        )
        self._add_schedule_times(schedule, recover_point)
        self._mark_outputs(execution_data.outputs, failed, loop, inner_loop)

        if not failed and not done:
            return self._schedule_again(service, schedule, execution_data, root_data)

        def on_fail() -> None:
            self.runtime.node_schedule_fail(process_info.root_pipeline_id, node.id)
            self._hook(service, HookType.NODE_SCHEDULE_FAIL, execution_data, root_data, callback_data)

        next_node_id = self._settle(
            process_info.top_pipeline_id,
            self.runtime.get_data_outputs(node.id),
            execution_data,
            failed,
            schedule.version,
            inner_loop,
            on_fail,
        )
        return schedule_finished_result(next_node_id)

    def _run_schedule(
        self,
        service,
        schedule: Schedule,
        execution_data: ExecutionData,
        root_data: ExecutionData,
        callback_data: Optional[CallbackData],
        process_info: ProcessInfo,
        recover_point: Optional[ScheduleInterruptPoint],
    ) -> Tuple[bool, bool]:
        """Call the service unless an interrupted attempt already did; returns ``(failed, done)``."""
        recovered = recover_point.handler_data if recover_point is not None else None
        if recovered is not None and recovered.service_scheduled:
            failed, done = recovered.service_schedule_fail, recovered.is_schedule_done
            execution_data.outputs = FancyDict(
                self.runtime.deserialize_execution_data(
                    recovered.schedule_serialize_outputs, recovered.schedule_outputs_serializer
                )
            )
        else:
            failed = self._call_schedule(
                service, schedule, execution_data, root_data, callback_data, process_info.root_pipeline_id
            )
            done = not failed and (schedule.type == ScheduleType.CALLBACK or bool(service.is_schedule_done()))

        handler_data = self.interrupter.check_point.handler_data
        handler_data.service_scheduled = True
        handler_data.service_schedule_fail = failed
        handler_data.is_schedule_done = done
        (
            handler_data.schedule_serialize_outputs,
            handler_data.schedule_outputs_serializer,
        ) = self.runtime.serialize_execution_data(dict(execution_data.outputs))
        self.interrupter.check(ScheduleKeyPoint.SA_SERVICE_SCHEDULE_DONE)
        return failed, done

    def _call_schedule(
        self,
        service,
        schedule: Schedule,
        execution_data: ExecutionData,
        root_data: ExecutionData,
        callback_data: Optional[CallbackData],
        root_pipeline_id: str,
    ) -> bool:
        self._hook(service, HookType.PRE_SCHEDULE, execution_data, root_data)
        try:
            succeeded = service.schedule(schedule, execution_data, root_data, callback_data)
        except Exception:
            ex_data = traceback.format_exc()
            logger.warning("node(%s) service schedule raised:\n%s", self.node.id, ex_data)
            execution_data.outputs["ex_data"] = ex_data
            self.runtime.node_schedule_exception(root_pipeline_id, self.node.id, ex_data)
            self._hook(service, HookType.NODE_SCHEDULE_EXCEPTION, execution_data, root_data, callback_data)
            return True
        if succeeded:
            self._hook(service, HookType.POST_SCHEDULE, execution_data, root_data)
        return not succeeded

    def _add_schedule_times(
        self, schedule: Schedule, recover_point: Optional[ScheduleInterruptPoint]
    ) -> None:
        recovered = recover_point.handler_data if recover_point is not None else None
        if recovered is None or not recovered.schedule_times_added:
            self.runtime.add_schedule_times(schedule.id)
        self.interrupter.check_point.handler_data.schedule_times_added = True
        self.interrupter.check(ScheduleKeyPoint.SA_SERVICE_SCHEDULE_TIME_ADDED)

    def _schedule_again(
        self, service, schedule: Schedule, execution_data: ExecutionData, root_data: ExecutionData
    ) -> ScheduleResult:
        """Not done yet: POLL runs again after ``schedule_after`` s; callbacks wait for the next one."""
        self.runtime.set_execution_data(self.node.id, execution_data)
        if schedule.type != ScheduleType.POLL:
            return ScheduleResult(
                has_next_schedule=False, schedule_after=-1, schedule_done=False, next_node_id=None
            )
        schedule_after = service.schedule_after(schedule, execution_data, root_data)
        return ScheduleResult(
            has_next_schedule=True,
            schedule_after=0 if schedule_after is None else schedule_after,
            schedule_done=False,
            next_node_id=None,
        )
