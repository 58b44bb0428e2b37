"""Schedules of ServiceActivity nodes that wait for polls or callbacks."""

from abc import ABC, abstractmethod

from bamboo_engine.eri.interfaces._export import public
from bamboo_engine.eri.models.runtime import Schedule, ScheduleType


@public
class ScheduleMixin(ABC):
    """Create, lock and finish schedules."""

    @abstractmethod
    def set_schedule(
        self, process_id: int, node_id: str, version: str, schedule_type: ScheduleType
    ) -> Schedule:
        """Create the schedule of ``(node_id, version)``; idempotent (returns the existing one)."""

    @abstractmethod
    def get_schedule(self, schedule_id: str) -> Schedule:
        """The schedule ``schedule_id``.

        Raises:
            NotFoundError: no such schedule.
        """

    @abstractmethod
    def get_schedule_with_node_and_version(self, node_id: str, version: str) -> Schedule:
        """The schedule of ``(node_id, version)``.

        Raises:
            NotFoundError: no such schedule.
        """

    @abstractmethod
    def apply_schedule_lock(self, schedule_id: str) -> bool:
        """Take the schedule lock; False when someone else holds it."""

    @abstractmethod
    def apply_schedule_lock_with_times(self, schedule_id: str, times: int) -> bool:
        """Take the lock only if the schedule has run exactly ``times`` times."""

    @abstractmethod
    def release_schedule_lock(self, schedule_id: int) -> None:
        """Release the schedule lock."""

    @abstractmethod
    def expire_schedule(self, schedule_id: int) -> None:
        """Mark the schedule expired (its node version is gone)."""

    @abstractmethod
    def finish_schedule(self, schedule_id: int) -> None:
        """Mark the schedule finished."""

    @abstractmethod
    def add_schedule_times(self, schedule_id: int) -> None:
        """Count one more schedule run."""

    def finish_polled_schedule(self, schedule_id: int) -> None:
        """Count the run that ended the schedule and mark it finished: ``add_schedule_times`` then
        ``finish_schedule`` as one change. A first poll run inline in its execute step ends this way, and
        a runtime that can write both columns at once saves the node a statement (and, in autocommit
        mode, a commit); this default makes the two calls."""
        self.add_schedule_times(schedule_id)
        self.finish_schedule(schedule_id)
