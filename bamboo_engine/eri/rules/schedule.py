"""Schedule rules: one schedule per node version, the ``scheduling`` lock, finishing and expiring.

The lock is a conditional write (``scheduling`` False → True) whose row count says whether this caller got
it: exactly one of any number of concurrent callers does, and no lock is held while the service runs.
A lock asked for a schedule that does not exist is simply not granted; the other writers raise
``NotFoundError`` for a missing schedule.
"""

import abc
from typing import Any, Dict, Optional

from bamboo_engine.eri.interfaces.schedule import ScheduleMixin
from bamboo_engine.eri.models.runtime import Schedule, ScheduleType
from bamboo_engine.eri.rules.storage import SCHEDULE, Increment, RuleStorage, id_of

#: Columns of a schedule row, in the order :func:`schedule_from_row` reads them.
SCHEDULE_FIELDS = ("id", "type", "process_id", "node_id", "finished", "expired", "version", "schedule_times")


def new_schedule_row(
    process_id: int, node_id: str, version: str, schedule_type: ScheduleType
) -> Dict[str, Any]:
    """Every field of a new schedule (not finished, not expired, unlocked, never run)."""
    return {
        "type": ScheduleType(schedule_type).value,
        "process_id": process_id,
        "node_id": node_id,
        "finished": False,
        "expired": False,
        "scheduling": False,
        "version": version,
        "schedule_times": 0,
    }


def schedule_from_row(row: Dict[str, Any]) -> Schedule:
    return Schedule(
        id=row["id"],
        type=ScheduleType(row["type"]),
        process_id=row["process_id"],
        node_id=row["node_id"],
        finished=row["finished"],
        expired=row["expired"],
        version=row["version"],
        times=row["schedule_times"],
    )


class ScheduleRules(ScheduleMixin, RuleStorage):
    """:class:`~bamboo_engine.eri.interfaces.ScheduleMixin` on a runtime's storage (it supplies
    :meth:`_schedule_row`)."""

    @abc.abstractmethod
    def _schedule_row(self, lookup: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """The schedule row (:data:`SCHEDULE_FIELDS`) matching ``lookup`` (``id``, or ``node_id`` and
        ``version``), or None."""

    def set_schedule(
        self, process_id: int, node_id: str, version: str, schedule_type: ScheduleType
    ) -> Schedule:
        row = new_schedule_row(process_id, node_id, version, schedule_type)
        schedule_id = self._insert_row(SCHEDULE, row)
        if schedule_id is None:
            # Idempotent per (node_id, version): a recovered or duplicate step gets the existing schedule.
            return self.get_schedule_with_node_and_version(node_id, version)
        return schedule_from_row({**row, "id": schedule_id})

    def get_schedule(self, schedule_id: str) -> Schedule:
        key = id_of(schedule_id)
        row = self._schedule_row({"id": key}) if key is not None else None
        if row is None:
            raise self._not_found(SCHEDULE, "schedule", schedule_id)
        return schedule_from_row(row)

    def get_schedule_with_node_and_version(self, node_id: str, version: str) -> Schedule:
        row = self._schedule_row({"node_id": node_id, "version": version})
        if row is None:
            raise self._not_found(SCHEDULE, "schedule of node version", f"{node_id}, {version}")
        return schedule_from_row(row)

    def apply_schedule_lock(self, schedule_id: str) -> bool:
        return self._lock({"scheduling": False}, schedule_id)

    def apply_schedule_lock_with_times(self, schedule_id: str, times: int) -> bool:
        """Take the lock only if the schedule has run exactly ``times`` times (a stale retry is refused)."""
        return self._lock({"scheduling": False, "schedule_times": times}, schedule_id)

    def _lock(self, condition: Dict[str, Any], schedule_id: Any) -> bool:
        key = id_of(schedule_id)
        if key is None:
            return False
        return bool(self._update_rows(SCHEDULE, {"id": key, **condition}, {"scheduling": True}))

    def release_schedule_lock(self, schedule_id: int) -> None:
        self._write_schedule(schedule_id, {"scheduling": False})

    def expire_schedule(self, schedule_id: int) -> None:
        self._write_schedule(schedule_id, {"expired": True})

    def finish_schedule(self, schedule_id: int) -> None:
        self._write_schedule(schedule_id, {"finished": True})

    def add_schedule_times(self, schedule_id: int) -> None:
        self._write_schedule(schedule_id, {"schedule_times": Increment(1)})

    def finish_polled_schedule(self, schedule_id: int) -> None:
        # Only an unfinished schedule: a step that retries after this write committed counts no second run.
        key = id_of(schedule_id)
        if key is None:
            raise self._not_found(SCHEDULE, "schedule", schedule_id)
        changes = {"schedule_times": Increment(1), "finished": True}
        if not self._update_rows(SCHEDULE, {"id": key, "finished": False}, changes):
            self._write_schedule(schedule_id, {"finished": True})  # raises when there is no such row

    def _write_schedule(self, schedule_id: Any, changes: Dict[str, Any]) -> None:
        key = id_of(schedule_id)
        if key is None:
            raise self._not_found(SCHEDULE, "schedule", schedule_id)
        self._write_row(SCHEDULE, {"id": key}, changes, "schedule")
