"""ScheduleMixin: schedule rows under the shared schedule rules (``bamboo_engine.eri.rules.schedule``)."""

from typing import Any, Dict, Optional

from bamboo_engine.eri.models.runtime import Schedule, ScheduleType
from bamboo_engine.eri.rules.schedule import SCHEDULE_FIELDS, ScheduleRules
from bamboo_engine.metrics import (
    ENGINE_RUNTIME_SCHEDULE_READ_TIME,
    ENGINE_RUNTIME_SCHEDULE_WRITE_TIME,
    setup_histogram,
)
from pipeline.eri.imp.storage import StorageMixin
from pipeline.eri.models import Schedule as ScheduleModel


class ScheduleMixin(StorageMixin, ScheduleRules):
    """Create, lock and finish schedules."""

    def _schedule_row(self, lookup: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        # Through the ORM: the driver gives booleans back as integers.
        row = ScheduleModel.objects.filter(**lookup).values_list(*SCHEDULE_FIELDS).first()
        return dict(zip(SCHEDULE_FIELDS, row, strict=True)) if row is not None else None

    @setup_histogram(ENGINE_RUNTIME_SCHEDULE_WRITE_TIME)
    def set_schedule(
        self, process_id: int, node_id: str, version: str, schedule_type: ScheduleType
    ) -> Schedule:
        return super().set_schedule(process_id, node_id, version, schedule_type)

    @setup_histogram(ENGINE_RUNTIME_SCHEDULE_READ_TIME)
    def get_schedule(self, schedule_id: str) -> Schedule:
        return super().get_schedule(schedule_id)

    @setup_histogram(ENGINE_RUNTIME_SCHEDULE_READ_TIME)
    def get_schedule_with_node_and_version(self, node_id: str, version: str) -> Schedule:
        return super().get_schedule_with_node_and_version(node_id, version)
