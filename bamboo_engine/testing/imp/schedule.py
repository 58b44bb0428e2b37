"""ScheduleMixin: schedule rows and the ``scheduling`` lock."""

from bamboo_engine.eri.models.runtime import Schedule, ScheduleType
from bamboo_engine.testing.imp.base import StoreBacked, not_found
from bamboo_engine.testing.store import ScheduleRecord


def _to_schedule(record: ScheduleRecord) -> Schedule:
    return Schedule(
        id=record.id,
        type=ScheduleType(record.type),
        process_id=record.process_id,
        node_id=record.node_id,
        finished=record.finished,
        expired=record.expired,
        version=record.version,
        times=record.schedule_times,
    )


class ScheduleMixin(StoreBacked):
    def _schedule(self, schedule_id) -> ScheduleRecord:
        try:
            return self._store.schedules[int(schedule_id)]
        except (KeyError, TypeError, ValueError):
            raise not_found("schedule", schedule_id) from None

    def set_schedule(
        self, process_id: int, node_id: str, version: str, schedule_type: ScheduleType
    ) -> Schedule:
        with self._store.lock:
            for record in self._store.schedules.values():
                if record.node_id == node_id and record.version == version:
                    return _to_schedule(record)
            record = ScheduleRecord(
                id=self._store.next_id("schedule"),
                type=ScheduleType(schedule_type).value,
                process_id=process_id,
                node_id=node_id,
                version=version,
            )
            self._store.schedules[record.id] = record
            return _to_schedule(record)

    def get_schedule(self, schedule_id: str) -> Schedule:
        with self._store.lock:
            return _to_schedule(self._schedule(schedule_id))

    def get_schedule_with_node_and_version(self, node_id: str, version: str) -> Schedule:
        with self._store.lock:
            for record in self._store.schedules.values():
                if record.node_id == node_id and record.version == version:
                    return _to_schedule(record)
        raise not_found("schedule of node version", f"{node_id}, {version}")

    def apply_schedule_lock(self, schedule_id: str) -> bool:
        with self._store.lock:
            record = self._schedule(schedule_id)
            if record.scheduling:
                return False
            record.scheduling = True
            return True

    def apply_schedule_lock_with_times(self, schedule_id: str, times: int) -> bool:
        """Take the lock only if the schedule has run exactly ``times`` times (a stale retry is refused)."""
        with self._store.lock:
            record = self._schedule(schedule_id)
            if record.scheduling or record.schedule_times != times:
                return False
            record.scheduling = True
            return True

    def release_schedule_lock(self, schedule_id: int):
        with self._store.lock:
            self._schedule(schedule_id).scheduling = False

    def expire_schedule(self, schedule_id: int):
        with self._store.lock:
            self._schedule(schedule_id).expired = True

    def finish_schedule(self, schedule_id: int):
        with self._store.lock:
            self._schedule(schedule_id).finished = True

    def add_schedule_times(self, schedule_id: int):
        with self._store.lock:
            self._schedule(schedule_id).schedule_times += 1

    def is_schedule_locked(self, schedule_id: int) -> bool:
        """Whether the ``scheduling`` flag is set (for tests; not part of the ERI)."""
        with self._store.lock:
            return self._schedule(schedule_id).scheduling
