"""ScheduleMixin: schedule rows and the ``scheduling`` lock.

The lock is a conditional UPDATE (``scheduling`` False → True) whose row count says whether this caller
got it: exactly one of any number of concurrent callers does, without holding a database lock while the
service runs.
"""

from bamboo_engine.eri.models.runtime import Schedule, ScheduleType
from bamboo_engine.metrics import (
    ENGINE_RUNTIME_SCHEDULE_READ_TIME,
    ENGINE_RUNTIME_SCHEDULE_WRITE_TIME,
    setup_histogram,
)
from pipeline.eri.imp import _sql
from pipeline.eri.imp._db import not_found
from pipeline.eri.models import Schedule as ScheduleModel

_FIELDS = ("id", "type", "process_id", "node_id", "finished", "expired", "version", "schedule_times")


def _to_schedule(row: tuple) -> Schedule:
    sid, stype, process_id, node_id, finished, expired, version, times = row
    return Schedule(
        id=sid,
        type=ScheduleType(stype),
        process_id=process_id,
        node_id=node_id,
        finished=finished,
        expired=expired,
        version=version,
        times=times,
    )


def _rows(**lookup):
    return ScheduleModel.objects.filter(**lookup)


class ScheduleMixin:
    """Create, lock and finish schedules."""

    @setup_histogram(ENGINE_RUNTIME_SCHEDULE_WRITE_TIME)
    def set_schedule(
        self, process_id: int, node_id: str, version: str, schedule_type: ScheduleType
    ) -> Schedule:
        row = {
            "type": ScheduleType(schedule_type).value,
            "process_id": process_id,
            "node_id": node_id,
            "finished": False,
            "expired": False,
            "scheduling": False,
            "version": version,
            "schedule_times": 0,
        }
        schedule_id = _sql.insert(ScheduleModel, row)
        if schedule_id is not None:
            return _to_schedule(tuple(schedule_id if name == "id" else row[name] for name in _FIELDS))
        # Idempotent per (node_id, version): a recovered or duplicate step gets the existing schedule.
        return self.get_schedule_with_node_and_version(node_id, version)

    @setup_histogram(ENGINE_RUNTIME_SCHEDULE_READ_TIME)
    def get_schedule(self, schedule_id: str) -> Schedule:
        row = _rows(id=schedule_id).values_list(*_FIELDS).first()
        if row is None:
            raise not_found(ScheduleModel, "schedule", schedule_id)
        return _to_schedule(row)

    @setup_histogram(ENGINE_RUNTIME_SCHEDULE_READ_TIME)
    def get_schedule_with_node_and_version(self, node_id: str, version: str) -> Schedule:
        row = _rows(node_id=node_id, version=version).values_list(*_FIELDS).first()
        if row is None:
            raise not_found(ScheduleModel, "schedule of node version", f"{node_id}, {version}")
        return _to_schedule(row)

    def apply_schedule_lock(self, schedule_id: str) -> bool:
        where = {"id": schedule_id, "scheduling": False}
        return bool(_sql.update(ScheduleModel, where, {"scheduling": True}))

    def apply_schedule_lock_with_times(self, schedule_id: str, times: int) -> bool:
        """Take the lock only if the schedule has run exactly ``times`` times (a stale retry is refused)."""
        where = {"id": schedule_id, "scheduling": False, "schedule_times": times}
        return bool(_sql.update(ScheduleModel, where, {"scheduling": True}))

    def release_schedule_lock(self, schedule_id: int):
        _sql.update(ScheduleModel, {"id": schedule_id}, {"scheduling": False})

    def expire_schedule(self, schedule_id: int):
        _sql.update(ScheduleModel, {"id": schedule_id}, {"expired": True})

    def finish_schedule(self, schedule_id: int):
        _sql.update(ScheduleModel, {"id": schedule_id}, {"finished": True})

    def add_schedule_times(self, schedule_id: int):
        _sql.update(ScheduleModel, {"id": schedule_id}, {"schedule_times": _sql.Increment(1)})
