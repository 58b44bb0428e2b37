"""``ServiceWrapper``: a plugin service as the engine's ERI ``Service``.

The mapping itself (schedule type, intervals, DataObjects, hooks) is the engine's
:class:`bamboo_engine.plugin.ServiceAdapter`; the Django runtime adds the ``pre_service_execute`` /
``pre_service_schedule`` signals (with the DataObjects the plugin then receives), gives the plugin the
``pipeline.eri.log`` node logger and names the ``PLUGIN_SPECIFIC_EXCEPTIONS`` the engine shows briefly
in ``ex_data``.
"""

import logging
from typing import Any, Optional, Tuple, Type

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from bamboo_engine.eri.models.runtime import CallbackData
from bamboo_engine.plugin import DataObject, ServiceAdapter
from pipeline.conf import settings
from pipeline.core.data.base import DataObject as PipelineDataObject
from pipeline.eri import signals
from pipeline.eri.log import get_logger


def plugin_specific_exceptions() -> Tuple[Type[BaseException], ...]:
    """The exception classes of the ``PLUGIN_SPECIFIC_EXCEPTIONS`` setting (classes or dotted paths).

    Read at call time (only when a plugin raised), so ``override_settings`` applies.

    Raises:
        ImproperlyConfigured: an entry is neither an exception class nor the dotted path of one.
    """
    configured = settings.PLUGIN_SPECIFIC_EXCEPTIONS or ()
    if isinstance(configured, str | type):
        configured = (configured,)
    return tuple(_exception_class(entry) for entry in configured)


def _exception_class(entry: Any) -> Type[BaseException]:
    cls = entry
    if isinstance(entry, str):
        try:
            cls = import_string(entry)
        except ImportError as err:
            raise ImproperlyConfigured(
                f"PLUGIN_SPECIFIC_EXCEPTIONS entry {entry!r} can not be imported: {err}"
            ) from err
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        raise ImproperlyConfigured(f"PLUGIN_SPECIFIC_EXCEPTIONS entry {entry!r} is not an exception class")
    return cls


class ServiceWrapper(ServiceAdapter):
    """Wraps a plugin service instance (``component_cls.bound_service(name=...)``) for the engine."""

    data_object_class = PipelineDataObject

    def __init__(self, service, inner_loop: int = -1):
        super().__init__(service, inner_loop=inner_loop)

    def before_execute(self, data: DataObject, parent_data: DataObject) -> None:
        signals.pre_service_execute.send(
            sender=ServiceWrapper, service=self.service, data=data, parent_data=parent_data
        )

    def before_schedule(
        self, data: DataObject, parent_data: DataObject, callback_data: Optional[CallbackData]
    ) -> None:
        signals.pre_service_schedule.send(
            sender=ServiceWrapper,
            service=self.service,
            data=data,
            parent_data=parent_data,
            callback_data=callback_data,
        )

    def brief_exceptions(self) -> Tuple[Type[BaseException], ...]:
        """Exception types whose ``ex_data`` is ``str(exc)`` instead of the traceback (engine hook)."""
        return plugin_specific_exceptions()

    def make_logger(self, node_id: Any, loop: Any, version: Any) -> logging.LoggerAdapter:
        return get_logger(node_id, loop, version)
