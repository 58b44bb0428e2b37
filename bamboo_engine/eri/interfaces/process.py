"""Processes: the units of execution walking the pipeline graph."""

from abc import ABC, abstractmethod
from typing import Dict, List, Optional

from bamboo_engine.eri.interfaces._export import public
from bamboo_engine.eri.models.runtime import DispatchProcess, ProcessInfo, SuspendedProcessInfo


@public
class ProcessMixin(ABC):
    """Create, park, wake and end processes."""

    @abstractmethod
    def beat(self, process_id: int) -> None:
        """Record that the process is alive."""

    @abstractmethod
    def wake_up(self, process_id: int) -> None:
        """Mark a sleeping process as running again.

        A runtime may return ``False`` when the process is dead (and then change nothing): the engine drops
        an execute message for a dead process. ``None`` (the declared return) means "woken".
        """

    def wake_up_at(self, process_id: int, node_id: str) -> Optional[bool]:
        """Wake the process and make ``node_id`` its current node: ``wake_up`` then ``set_current_node``
        (this default), or one write that does both.

        ``False`` when the process is dead (nothing is changed then), as for ``wake_up``.
        """
        if self.wake_up(process_id) is False:
            return False
        self.set_current_node(process_id, node_id)
        return None

    @abstractmethod
    def wake_up_if_sleeping_at(self, process_id: int, node_id: str) -> bool:
        """Wake the process only if it sleeps at ``node_id``; True when it was woken."""

    @abstractmethod
    def get_current_node_id(self, process_id: int) -> Optional[str]:
        """The node the process is at; None when it has none or the process does not exist."""

    @abstractmethod
    def sleep(self, process_id: int) -> None:
        """Park the process until an operation or its children wake it."""

    @abstractmethod
    def suspend(self, process_id: int, by: str) -> None:
        """Suspend the process on behalf of pipeline or node ``by``."""

    @abstractmethod
    def resume(self, process_id: int) -> None:
        """Clear the suspension of the process."""

    @abstractmethod
    def batch_resume(self, process_id_list: List[int]) -> None:
        """Resume several processes."""

    @abstractmethod
    def die(self, process_id: int) -> None:
        """End the process (normal termination)."""

    @abstractmethod
    def kill(self, process_id: int) -> None:
        """End the process abruptly (revoke)."""

    @abstractmethod
    def get_process_info(self, process_id: int) -> ProcessInfo:
        """The process record.

        Raises:
            NotFoundError: no such process.
        """

    @abstractmethod
    def get_process_info_with_root_pipeline(self, pipeline_id: str) -> List[ProcessInfo]:
        """All processes of a root pipeline."""

    @abstractmethod
    def get_suspended_process_info(self, suspended_by: str) -> List[SuspendedProcessInfo]:
        """Processes suspended by ``suspended_by``."""

    @abstractmethod
    def get_sleep_process_info_with_current_node_id(self, node_id: str) -> Optional[ProcessInfo]:
        """The sleeping process whose current node is ``node_id``, if any."""

    @abstractmethod
    def get_process_id_with_current_node_id(self, node_id: str) -> Optional[int]:
        """The id of the process whose current node is ``node_id``, if any."""

    @abstractmethod
    def set_current_node(self, process_id: int, node_id: str) -> None:
        """Record the node the process is at."""

    @abstractmethod
    def child_process_finish(self, parent_id: int, process_id: int) -> bool:
        """End a child; True when it was the last one and the parent was woken."""

    @abstractmethod
    def is_frozen(self, process_id: int) -> bool:
        """Whether the process is frozen (it must not run); False when it does not exist."""

    @abstractmethod
    def freeze(self, process_id: int) -> None:
        """Freeze the process."""

    @abstractmethod
    def fork(
        self, parent_id: str, root_pipeline_id: str, pipeline_stack: List[str], from_to: Dict[str, str]
    ) -> List[DispatchProcess]:
        """Create one child per ``{start_node_id: destination_node_id}`` item.

        Raises:
            NotFoundError: no process ``parent_id``.
        """

    def get_unjoined_children(self, parent_id: int) -> List[DispatchProcess]:
        """The live children of a process that has not joined them, at their start nodes.

        A process joins the children of a fork in the unit that puts it to sleep, and its join is reset
        only once all of them ended: live children without a join were forked by an attempt that stopped
        before that unit (a lost connection after the children's rows committed, a killed worker). A
        retried fork sends them instead of forking a second set nobody would run. Not abstract: a
        runtime that cannot tell returns no children (the default), and a retried fork forks again.
        """
        return []

    @abstractmethod
    def join(self, process_id: int, children_id: List[str]) -> None:
        """Make the process wait for ``children_id``."""

    @abstractmethod
    def set_pipeline_stack(self, process_id: int, stack: List[str]) -> None:
        """Replace the process's pipeline stack."""
