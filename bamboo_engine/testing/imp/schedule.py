"""ScheduleMixin: schedule records under the shared schedule rules
(:mod:`bamboo_engine.eri.rules.schedule`)."""

from typing import Any, Dict, Optional

from bamboo_engine.eri.rules.schedule import ScheduleRules
from bamboo_engine.eri.rules.storage import SCHEDULE, id_of
from bamboo_engine.testing.imp.base import StoreBacked


class ScheduleMixin(StoreBacked, ScheduleRules):
    def _schedule_row(self, lookup: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        with self._store.lock:
            if "id" in lookup:
                record = self._store.schedules.get(lookup["id"])
            else:
                record = self._store.find_unique(SCHEDULE, (lookup["node_id"], lookup["version"]))
            return dict(vars(record)) if record is not None else None

    def is_schedule_locked(self, schedule_id: int) -> bool:
        """Whether the ``scheduling`` flag is set (for tests; not part of the ERI)."""
        with self._store.lock:
            record = self._store.schedules.get(id_of(schedule_id))  # type: ignore[arg-type]
            if record is None:
                raise self._not_found(SCHEDULE, "schedule", schedule_id)
            return record.scheduling
