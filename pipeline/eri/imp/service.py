"""``ServiceWrapper``: a plugin service as the engine's ERI ``Service`` (components.md §2).

The mapping itself (schedule type, intervals, DataObjects, hooks) is the engine's
:class:`bamboo_engine.plugin.ServiceAdapter`; the Django runtime adds the ``pre_service_execute`` /
``pre_service_schedule`` signals and gives the plugin the ``pipeline.eri.log`` node logger.
"""

import logging
from typing import Any, Optional

from bamboo_engine.eri.models.runtime import CallbackData, ExecutionData, Schedule
from bamboo_engine.plugin import ServiceAdapter
from pipeline.eri import signals
from pipeline.eri.log import get_logger


class ServiceWrapper(ServiceAdapter):
    """Wraps a plugin service instance (``component_cls.bound_service(name=...)``) for the engine."""

    def __init__(self, service, inner_loop: int = -1):
        super().__init__(service, inner_loop=inner_loop)

    def execute(self, data: ExecutionData, root_pipeline_data: ExecutionData) -> bool:
        signals.pre_service_execute.send(
            sender=ServiceWrapper, service=self.service, data=data, parent_data=root_pipeline_data
        )
        return super().execute(data, root_pipeline_data)

    def schedule(
        self,
        schedule: Schedule,
        data: ExecutionData,
        root_pipeline_data: ExecutionData,
        callback_data: Optional[CallbackData] = None,
    ) -> bool:
        signals.pre_service_schedule.send(
            sender=ServiceWrapper,
            service=self.service,
            data=data,
            parent_data=root_pipeline_data,
            callback_data=callback_data,
        )
        return super().schedule(schedule, data, root_pipeline_data, callback_data)

    def make_logger(self, node_id: Any, loop: Any, version: Any) -> logging.LoggerAdapter:
        return get_logger(node_id, loop, version)
