"""``ServiceAdapter``: a plugin :class:`~bamboo_engine.plugin.service.Service` as an ERI ``Service``.

Maps the plugin service API onto the ERI ``Service`` the engine calls, so that every runtime (the
in-memory one and the Django one) drives plugins the same way.
"""

import logging
from typing import Any, Optional

from bamboo_engine.eri.interfaces import Service as ERIService
from bamboo_engine.eri.models.event import HookType
from bamboo_engine.eri.models.runtime import CallbackData, ExecutionData, Schedule, ScheduleType
from bamboo_engine.plugin.data import DataObject

PLUGIN_LOGGER_NAME = "bamboo_engine.plugin"

# Hooks whose plugin methods take a ``callback_data`` argument.
_CALLBACK_HOOKS = frozenset(
    {
        HookType.PRE_CALLBACK,
        HookType.POST_CALLBACK,
        HookType.NODE_SCHEDULE_FAIL,
        HookType.NODE_SCHEDULE_EXCEPTION,
    }
)


def _data_object(data: Any) -> DataObject:
    if data is None:
        return DataObject(inputs={}, outputs={})
    if isinstance(data, dict):
        return DataObject(inputs=data, outputs={})
    return DataObject(inputs=data.inputs, outputs=data.outputs)


def _copy_back(data: Any, data_object: DataObject) -> None:
    # The plugin may replace its dicts (reset_outputs/override_*); update the engine's dicts in place
    # so that whoever holds ``data`` sees the changes.
    if data is None or isinstance(data, dict):
        return
    for name in ("inputs", "outputs"):
        target, source = getattr(data, name), getattr(data_object, name)
        if target is not source:
            target.clear()
            target.update(source)


def _as_result(value: Any) -> bool:
    return True if value is None else bool(value)


def _callback_payload(callback_data: Optional[CallbackData]) -> Any:
    return callback_data.data if isinstance(callback_data, CallbackData) else callback_data


def make_node_logger(node_id: Any, loop: Any, version: Any) -> logging.LoggerAdapter:
    """The ``self.logger`` of a plugin: logger ``bamboo_engine.plugin`` tagged with the node run."""
    extra = {"node_id": node_id, "loop": loop, "version": version}
    return logging.LoggerAdapter(logging.getLogger(PLUGIN_LOGGER_NAME), extra)


class ServiceAdapter(ERIService):
    """Wraps a plugin service instance for the engine.

    Args:
        service: a :class:`bamboo_engine.plugin.Service` instance.
        inner_loop: the node's inner loop counter (informational).
    """

    def __init__(self, service, inner_loop: int = -1):
        self.service = service
        self.inner_loop = inner_loop

    def _call(self, method_name: str, data: ExecutionData, root_pipeline_data: ExecutionData, *extra) -> bool:
        data_object, parent_data = _data_object(data), _data_object(root_pipeline_data)
        try:
            result = getattr(self.service, method_name)(data_object, parent_data, *extra)
        finally:
            _copy_back(data, data_object)
        return _as_result(result)

    def execute(self, data: ExecutionData, root_pipeline_data: ExecutionData) -> bool:
        return self._call("execute", data, root_pipeline_data)

    def schedule(
        self,
        schedule: Schedule,
        data: ExecutionData,
        root_pipeline_data: ExecutionData,
        callback_data: Optional[CallbackData] = None,
    ) -> bool:
        return self._call("schedule", data, root_pipeline_data, _callback_payload(callback_data))

    def hook_dispatch(
        self,
        hook: HookType,
        data: ExecutionData,
        root_pipeline_data: ExecutionData,
        callback_data: Optional[CallbackData] = None,
    ) -> bool:
        if not callable(getattr(self.service, hook.value, None)):
            return False
        if hook in _CALLBACK_HOOKS:
            return self._call(hook.value, data, root_pipeline_data, _callback_payload(callback_data))
        return self._call(hook.value, data, root_pipeline_data)

    def need_schedule(self) -> bool:
        return self.service.need_schedule()

    def need_run_hook(self) -> bool:
        return self.service.need_run_hook()

    def schedule_type(self) -> Optional[ScheduleType]:
        if not self.service.need_schedule():
            return None
        if self.service.interval:
            return ScheduleType.POLL
        if not self.service.multi_callback_enabled():
            return ScheduleType.CALLBACK
        return ScheduleType.MULTIPLE_CALLBACK

    def is_schedule_done(self) -> bool:
        return self.service.is_schedule_finished()

    def callback_lock_retryable(self, callback_data=None) -> bool:
        return bool(self.service.callback_lock_retryable(_callback_payload(callback_data)))

    def schedule_after(
        self, schedule: Optional[Schedule], data: ExecutionData, root_pipeline_data: ExecutionData
    ) -> int:
        interval = self.service.interval
        if interval is None:
            return -1
        if schedule is not None:
            # The service object is rebuilt for every message: restore the generator's position.
            interval.count = schedule.times - 1
        return interval.next()

    def setup_runtime_attributes(self, **attrs) -> None:
        logger = self.make_logger(attrs.get("id"), attrs.get("loop"), attrs.get("version"))
        self.service.setup_runtime_attrs(**attrs, logger=logger)

    def make_logger(self, node_id: Any, loop: Any, version: Any) -> logging.LoggerAdapter:
        """The plugin's ``self.logger``; the Django runtime overrides this with its node log."""
        return make_node_logger(node_id, loop, version)
