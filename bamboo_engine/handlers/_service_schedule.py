"""ServiceActivity schedule: one message = one ``service.schedule`` call."""

import logging
import time
from typing import Optional, Tuple

from bamboo_engine.eri.models.event import HookType
from bamboo_engine.eri.models.handler import ScheduleResult
from bamboo_engine.eri.models.interrupt import ScheduleInterruptPoint
from bamboo_engine.eri.models.runtime import CallbackData, ExecutionData, ProcessInfo, Schedule, ScheduleType
from bamboo_engine.handlers._common import (
    count_failed,
    fail_node,
    schedule_finished_result,
    schedule_waiting_result,
    write_if_current,
)
from bamboo_engine.handlers._service_common import (
    ServiceHandlerBase,
    ServiceLoadError,
    WarmPoll,
    execution_data_changed,
    stored_form,
)
from bamboo_engine.interrupt import ScheduleKeyPoint
from bamboo_engine.metrics import (
    ENGINE_NODE_SCHEDULE_POST_PROCESS_DURATION,
    ENGINE_NODE_SCHEDULE_PRE_PROCESS_DURATION,
    labelled,
    node_type_label,
    observe,
)
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
        started = time.perf_counter()
        node = self.node
        inline = self.warm_poll is not None
        warm = self.warm_poll if self.warm_poll is not None else self._load_poll(process_info)
        self.warm_poll = None  # one poll per execute: later ones read what the runtime holds
        execution_data = warm.execution_data
        try:
            service = self._poll_service(process_info, schedule, loop, inner_loop)
        except ServiceLoadError as err:
            self._mark_outputs(execution_data.outputs, True, loop, inner_loop)
            fail_node(
                self.runtime,
                node,
                schedule.version,
                str(err),
                inputs=execution_data.inputs,
                outputs=execution_data.outputs,
                phase="schedule",
            )
            return schedule_waiting_result()

        type_label = node_type_label(node)
        labelled(ENGINE_NODE_SCHEDULE_PRE_PROCESS_DURATION, type=type_label).observe(
            time.perf_counter() - started
        )
        schedule.times += 1
        failed, done = self._run_schedule(
            service, schedule, execution_data, warm.root_data, callback_data, process_info, recover_point
        )
        with observe(ENGINE_NODE_SCHEDULE_POST_PROCESS_DURATION, type=type_label):
            self._add_schedule_times(schedule, recover_point, defer=inline and done and not failed)
            self._mark_outputs(execution_data.outputs, failed, loop, inner_loop)
            if not failed and not done:
                return self._schedule_again(service, schedule, warm)
            return self._schedule_over(
                process_info, inner_loop, schedule, callback_data, service, warm, failed
            )

    def _schedule_over(
        self,
        process_info: ProcessInfo,
        inner_loop: int,
        schedule: Schedule,
        callback_data: Optional[CallbackData],
        service,
        warm: WarmPoll,
        failed: bool,
    ) -> ScheduleResult:
        """The schedule ended (done or failed): finish or fail the node."""
        node = self.node
        execution_data, root_data = warm.execution_data, warm.root_data

        def on_fail() -> None:
            count_failed(node, "schedule")
            self.runtime.node_schedule_fail(process_info.root_pipeline_id, node.id)
            self._hook(service, HookType.NODE_SCHEDULE_FAIL, execution_data, root_data, callback_data)

        data_outputs = warm.data_outputs
        next_node_id = self._settle(
            process_info,
            self.runtime.get_data_outputs(node.id) if data_outputs is None else data_outputs,
            execution_data,
            failed,
            schedule.version,
            inner_loop,
            on_fail,
            stored=warm.stored,
        )
        if self.stale:
            return self._drop_stale(schedule)
        if next_node_id is None:
            return schedule_waiting_result()
        return schedule_finished_result(next_node_id)

    def _drop_stale(self, schedule: Schedule) -> ScheduleResult:
        """The node changed under this poll (e.g. forced to fail): end its schedule, the process waits."""
        self.runtime.expire_schedule(schedule.id)
        return schedule_waiting_result()

    def _poll_service(self, process_info: ProcessInfo, schedule: Schedule, loop: int, inner_loop: int):
        """The service instance execute ran (inline first poll), else a fresh one as for a message.

        An instance that already says it is done (``finish_schedule()`` called in execute) is not
        reused: a poll message would start from a fresh instance, so the inline poll does too.
        """
        if self.service is not None and not self.service.is_schedule_done():
            return self.service
        return self._service(process_info, schedule.version, loop, inner_loop)

    def _load_poll(self, process_info: ProcessInfo) -> WarmPoll:
        """What a poll works on, read from the runtime (a schedule message; the output mapping is read
        only if the schedule finishes)."""
        execution_data = self.runtime.get_execution_data(self.node.id)
        root_inputs = self.memo.root_pipeline_inputs(self.runtime, process_info.root_pipeline_id)
        return WarmPoll(
            execution_data,
            ExecutionData(root_inputs, {}),
            None,
            stored_form(self.runtime, execution_data),
        )

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

        failed, serialized_outputs = self._storable_outcome(execution_data, failed)
        done = done and not failed
        handler_data = self.interrupter.check_point.handler_data
        handler_data.service_scheduled = True
        handler_data.service_schedule_fail = failed
        handler_data.is_schedule_done = done
        handler_data.schedule_serialize_outputs, handler_data.schedule_outputs_serializer = serialized_outputs
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
        return self._call_service(
            "schedule",
            service,
            lambda: service.schedule(schedule, execution_data, root_data, callback_data),
            execution_data,
            root_data,
            root_pipeline_id,
            callback_data,
        )

    def _add_schedule_times(
        self, schedule: Schedule, recover_point: Optional[ScheduleInterruptPoint], defer: bool
    ) -> None:
        """Count this run, or, for an inline first poll that ended the schedule (``defer``), leave the
        count to the engine's write that finishes the schedule (``finish_polled_schedule``, one
        statement instead of two). A recovered attempt keeps what the interrupted one chose."""
        recovered = recover_point.handler_data if recover_point is not None else None
        handler_data = self.interrupter.check_point.handler_data
        if recovered is not None and (recovered.schedule_times_added or recovered.schedule_times_deferred):
            handler_data.schedule_times_added = recovered.schedule_times_added
            handler_data.schedule_times_deferred = recovered.schedule_times_deferred
        elif defer:
            handler_data.schedule_times_deferred = True
        else:
            self.runtime.add_schedule_times(schedule.id)
            handler_data.schedule_times_added = True
        self.interrupter.check(ScheduleKeyPoint.SA_SERVICE_SCHEDULE_TIME_ADDED)

    def _schedule_again(self, service, schedule: Schedule, warm: WarmPoll) -> ScheduleResult:
        """Not done yet: POLL runs again after ``schedule_after`` s; callbacks wait for the next one."""
        execution_data, root_data = warm.execution_data, warm.root_data
        if execution_data_changed(self.runtime, execution_data, warm.stored):
            # No state change follows this write to carry the version check: check right before it.
            write = lambda: self.runtime.set_execution_data(self.node.id, execution_data)  # noqa: E731
            if not write_if_current(self.runtime, self.node.id, schedule.version, write):
                self.stale = True
                return self._drop_stale(schedule)
        if schedule.type != ScheduleType.POLL:
            return schedule_waiting_result()
        schedule_after = service.schedule_after(schedule, execution_data, root_data)
        return ScheduleResult(
            has_next_schedule=True,
            schedule_after=0 if schedule_after is None else schedule_after,
            schedule_done=False,
            next_node_id=None,
        )
