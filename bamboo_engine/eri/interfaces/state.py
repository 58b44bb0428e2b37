"""Node and pipeline states (see ``bamboo_engine.states`` for the state machine)."""

from abc import ABC, abstractmethod
from typing import Dict, List, Optional

from bamboo_engine.eri.interfaces._export import public
from bamboo_engine.eri.models.runtime import State


@public
class StateMixin(ABC):
    """Read and change state rows."""

    @abstractmethod
    def get_state(self, node_id: str) -> State:
        """The state of ``node_id``.

        Raises:
            NotFoundError: the node has no state.
        """

    @abstractmethod
    def get_state_or_none(self, node_id: str) -> Optional[State]:
        """The state of ``node_id``, or None."""

    @abstractmethod
    def get_state_by_root(self, root_id: str) -> List[State]:
        """All states under root pipeline ``root_id``."""

    @abstractmethod
    def get_state_by_parent(self, parent_id: str) -> List[State]:
        """States whose parent (sub)pipeline is ``parent_id``."""

    @abstractmethod
    def batch_get_state_name(self, node_id_list: List[str]) -> Dict[str, str]:
        """``{node_id: state name}`` for the nodes that have a state."""

    @abstractmethod
    def batch_get_state_version(self, node_id_list: List[str]) -> Dict[str, str]:
        """``{node_id: state version}`` for the nodes that have a state."""

    @abstractmethod
    def has_state(self, node_id: str) -> bool:
        """Whether ``node_id`` has a state."""

    @abstractmethod
    def reset_state_inner_loop(self, node_id: str) -> str:
        """Set the node's ``inner_loop`` back to 0.

        The runtimes of this repository return the number of rows changed (0 for a node without a
        state), as upstream's Django runtime does; the published annotation is kept. The engine does not
        use the value.
        """

    @abstractmethod
    def reset_children_state_inner_loop(self, node_id: str) -> None:
        """Set ``inner_loop`` of every state under SubProcess/SubCanvas ``node_id`` back to 0 (the runtimes
        of this repository return the rows changed)."""

    @abstractmethod
    def set_state(
        self,
        node_id: str,
        to_state: str,
        loop: int = -1,
        inner_loop: int = -1,
        version: Optional[str] = None,
        root_id: Optional[str] = None,
        parent_id: Optional[str] = None,
        is_retry: bool = False,
        is_skip: bool = False,
        reset_retry: bool = False,
        reset_skip: bool = False,
        error_ignored: bool = False,
        reset_error_ignored: bool = False,
        refresh_version: bool = False,
        clear_started_time: bool = False,
        set_started_time: bool = False,
        clear_archived_time: bool = False,
        set_archive_time: bool = False,
        ignore_boring_set: bool = False,
        send_post_set_state_signal: bool = True,
    ) -> str:
        """Create the state or move it to ``to_state``; returns the (possibly new) version.

        ``loop``/``inner_loop`` of -1 leave them unchanged; ``is_retry`` adds one retry; ``is_skip``
        sets ``skip``; ``ignore_boring_set`` makes setting the current state again a no-op. Pass every
        argument after ``to_state`` by keyword: upstream's Django runtime (and ``BambooDjangoRuntime``)
        publish ``version`` before ``loop``.

        Raises:
            InvalidOperationError: ``bamboo_engine.states.can_transit`` refuses the transition.
            StateVersionNotMatchError: ``version`` is given and is not the current one.
        """

    @abstractmethod
    def set_state_root_and_parent(self, node_id: str, root_id: str, parent_id: str) -> None:
        """Fill in the root and parent pipeline ids of an existing state."""

    def set_running_if_fresh(
        self,
        node_id: str,
        pipeline_ids: List[str],
        loop: int,
        inner_loop: int,
        root_id: str,
        parent_id: str,
    ) -> Optional[str]:
        """Create the node's state RUNNING (started now) if the node has no state and none of
        ``pipeline_ids`` is in a state that stops its process (``bamboo_engine.states.SLEEP_STATES``);
        returns the new version, or None when nothing was written.

        One write instead of ``batch_get_state_name`` and ``set_state`` for a node entered the first
        time; None sends the engine on that path, which then decides from what it reads. A runtime
        that cannot check and write in one step returns None (this default).
        """
        return None
