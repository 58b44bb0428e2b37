"""Dispatching engine steps as messages (the consumer calls ``Engine.execute`` / ``Engine.schedule``)."""

from abc import ABC, abstractmethod
from typing import Optional

from bamboo_engine.eri.interfaces._export import public
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint, ScheduleInterruptPoint


@public
class TaskMixin(ABC):
    """Sends execute/schedule messages.

    The ``pre_``/``post_`` methods are called by the engine around each worker run (``Engine.execute`` /
    ``Engine.schedule``), not around sending a message, so a runtime never calls them itself.
    """

    @abstractmethod
    def pre_execute(self, root_pipeline_id: str, node_id: str) -> None:
        """Called right before an activity's service ``execute`` (after ``node_enter``)."""

    @abstractmethod
    def post_execute(self, root_pipeline_id: str, node_id: str) -> None:
        """Called after an activity's service ``execute`` succeeded (not when it failed or raised)."""

    @abstractmethod
    def pre_schedule(self, root_pipeline_id: str, node_id: str) -> None:
        """Called right before each call of an activity's service ``schedule``."""

    @abstractmethod
    def post_schedule(self, root_pipeline_id: str, node_id: str) -> None:
        """Called after a call of an activity's service ``schedule`` succeeded."""

    @abstractmethod
    def execute(
        self,
        process_id: int,
        node_id: str,
        root_pipeline_id: str,
        parent_pipeline_id: str,
        recover_point: Optional[ExecuteInterruptPoint] = None,
        headers: Optional[dict] = None,
    ) -> None:
        """Dispatch an execute message: process ``process_id`` runs from ``node_id``."""

    @abstractmethod
    def schedule(
        self,
        process_id: int,
        node_id: str,
        schedule_id: str,
        callback_data_id: Optional[int] = None,
        recover_point: Optional[ScheduleInterruptPoint] = None,
        headers: Optional[dict] = None,
    ) -> None:
        """Dispatch a schedule message for ``schedule_id`` now."""

    @abstractmethod
    def set_next_schedule(
        self,
        process_id: int,
        node_id: str,
        schedule_id: str,
        schedule_after: int,
        callback_data_id: Optional[int] = None,
        headers: Optional[dict] = None,
    ) -> None:
        """Dispatch a schedule message delayed by ``schedule_after`` seconds (called with keywords)."""
