"""``ServiceAdapter``: a plugin :class:`~bamboo_engine.plugin.service.Service` as an ERI ``Service``.

Maps the plugin service API onto the ERI ``Service`` the engine calls, so that every runtime (the
in-memory one and the Django one) drives plugins the same way.
"""

import functools
import inspect
import logging
from typing import Any, Callable, Optional, Type

from bamboo_engine.eri.interfaces import Service as ERIService
from bamboo_engine.eri.models.event import HookType
from bamboo_engine.eri.models.runtime import CallbackData, ExecutionData, Schedule, ScheduleType
from bamboo_engine.plugin.data import DataObject

PLUGIN_LOGGER_NAME = "bamboo_engine.plugin"


def _data_object(data: Any, cls: Type[DataObject]) -> DataObject:
    if data is None:
        return cls(inputs={}, outputs={})
    if isinstance(data, dict):
        return cls(inputs=data, outputs={})
    return cls(inputs=data.inputs, outputs=data.outputs)


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


@functools.lru_cache(maxsize=1024)
def _takes_callback_data(function: Callable) -> bool:
    """Whether a hook method accepts the keyword ``callback_data`` (by name or through ``**kwargs``).

    Cached per function: a function's signature never changes, and reading it costs more than the
    hook call. Bounded, so plugin classes built at run time do not pile up.
    """
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # no introspectable signature (e.g. a builtin)
        return False
    return any(
        p.kind == p.VAR_KEYWORD or (p.name == "callback_data" and p.kind != p.POSITIONAL_ONLY)
        for p in parameters
    )


def make_node_logger(node_id: Any, loop: Any, version: Any) -> logging.LoggerAdapter:
    """The ``self.logger`` of a plugin: logger ``bamboo_engine.plugin`` tagged with the node run."""
    extra = {"node_id": node_id, "loop": loop, "version": version}
    return logging.LoggerAdapter(logging.getLogger(PLUGIN_LOGGER_NAME), extra)


class ServiceAdapter(ERIService):
    """Wraps a plugin service instance for the engine.

    Args:
        service: a :class:`bamboo_engine.plugin.Service` instance.
        inner_loop: the node's inner loop counter (informational).

    Attributes:
        data_object_class: the class of the ``data`` / ``parent_data`` objects the plugin receives. A
            runtime whose plugins check ``isinstance`` against their framework's own DataObject (the
            Django runtime: ``pipeline.core.data.base.DataObject``) names that subclass here.
    """

    data_object_class: Type[DataObject] = DataObject

    def __init__(self, service, inner_loop: int = -1):
        self.service = service
        self.inner_loop = inner_loop

    def _call(
        self,
        method_name: str,
        data: ExecutionData,
        root_pipeline_data: ExecutionData,
        *args: Any,
        announce: Optional[Callable[[DataObject, DataObject], None]] = None,
        **kwargs: Any,
    ) -> bool:
        cls = self.data_object_class
        data_object, parent_data = _data_object(data, cls), _data_object(root_pipeline_data, cls)
        try:
            if announce is not None:
                announce(data_object, parent_data)
            result = getattr(self.service, method_name)(data_object, parent_data, *args, **kwargs)
        finally:
            _copy_back(data, data_object)
        return _as_result(result)

    def execute(self, data: ExecutionData, root_pipeline_data: ExecutionData) -> bool:
        return self._call("execute", data, root_pipeline_data, announce=self.before_execute)

    def schedule(
        self,
        schedule: Schedule,
        data: ExecutionData,
        root_pipeline_data: ExecutionData,
        callback_data: Optional[CallbackData] = None,
    ) -> bool:
        def announce(data_object: DataObject, parent_data: DataObject) -> None:
            self.before_schedule(data_object, parent_data, callback_data)

        payload = _callback_payload(callback_data)
        return self._call("schedule", data, root_pipeline_data, payload, announce=announce)

    def rollback(
        self, data: ExecutionData, root_pipeline_data: ExecutionData, rollback_data: Any = None
    ) -> bool:
        """The plugin's ``rollback(data, parent_data, rollback_data)`` (contrib rollback calls it)."""
        return self._call("rollback", data, root_pipeline_data, rollback_data)

    def before_execute(self, data: DataObject, parent_data: DataObject) -> None:
        """Called with the very DataObjects the plugin's ``execute`` then receives; does nothing here.

        The Django runtime sends its ``pre_service_execute`` signal from it, so that receivers see (and
        may change) what the plugin gets.
        """

    def before_schedule(
        self, data: DataObject, parent_data: DataObject, callback_data: Optional[CallbackData]
    ) -> None:
        """Like :meth:`before_execute`, for ``schedule`` (``callback_data``: the ERI object, or None)."""

    def hook_dispatch(
        self,
        hook: HookType,
        data: ExecutionData,
        root_pipeline_data: ExecutionData,
        callback_data: Optional[CallbackData] = None,
    ) -> bool:
        """Call the plugin's hook method ``hook.value`` (False when it has none).

        ``callback_data`` (the ERI ``CallbackData``) is passed as the keyword ``callback_data``, and only
        to a method that accepts it: ``pre_callback``, ``post_callback``, ``node_schedule_fail``,
        ``node_schedule_exception`` by default, and a ``node_finish`` that declares it.
        """
        method = getattr(self.service, hook.value, None)
        if not callable(method):
            return False
        if callback_data is not None and _takes_callback_data(getattr(method, "__func__", method)):
            return self._call(hook.value, data, root_pipeline_data, callback_data=callback_data)
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
