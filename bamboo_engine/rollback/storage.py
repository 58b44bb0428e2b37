"""What the rollback rules ask of a runtime's storage, and the records it hands back.

A runtime that supports rollback mixes :class:`~bamboo_engine.rollback.rules.RollbackRules` in and
implements these operations on its storage: the in-memory runtime on dicts
(``bamboo_engine/testing/imp/rollback.py``), the Django runtime on the models of
``pipeline.contrib.rollback`` and its own tables (``pipeline/eri/imp/rollback.py``). The rules decide
what to read and write; storage only reads and writes. The engine tables are written through the shared
storage operations of :class:`~bamboo_engine.eri.rules.storage.RuleStorage` where those suffice
(processes), and through :meth:`RollbackStorage._clear_node_runs` where a run must be forgotten.
"""

import abc
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional

from bamboo_engine.eri.models.node import Node


@dataclass(frozen=True)
class NodeSnapshot:
    """What a finished activity ran with: the data its ``Service.rollback`` receives.

    Attributes:
        context_values: the root pipeline's inputs at the time (the ``parent_data`` of the run).
        rolled_back: its rollback has been called successfully.
    """

    id: int
    root_pipeline_id: str
    node_id: str
    code: str
    version: str
    context_values: Dict[str, Any]
    inputs: Dict[str, Any]
    outputs: Dict[str, Any]
    rolled_back: bool = False


@dataclass(frozen=True)
class RollbackRecord:
    """One rollback: its graph and how far it got (stored as the ``RollbackSnapshot`` model).

    Attributes:
        graph: ``{"nodes": [...], "flows": [...]}`` of a :class:`~bamboo_engine.utils.graph.RollbackGraph`
            from the START flag through the activities to roll back to the END flag.
        node_access_record: ``{node_id: 1}`` for each node of the graph whose rollback is done.
        skip_rollback_nodes: activities of the graph whose rollback is not called.
        other_nodes: nodes whose runs are cleared with the graph's, without a rollback of their own
            (gateways, events, subprocess nodes, activities of ANY mode).
        is_expired: the rollback ended (or was replaced by another one).
    """

    id: int
    root_pipeline_id: str
    start_node_id: str
    target_node_id: str
    graph: Dict[str, List[Any]]
    node_access_record: Dict[str, int]
    skip_rollback_nodes: List[str]
    other_nodes: List[str]
    is_expired: bool = False


@dataclass(frozen=True)
class Reservation:
    """A rollback to start when ``start_node_id`` finishes (stored as the ``RollbackPlan`` model)."""

    id: int
    root_pipeline_id: str
    start_node_id: str
    target_node_id: str
    mode: str
    options: Dict[str, Any] = field(default_factory=dict)
    is_expired: bool = False


@dataclass(frozen=True)
class ProcessRow:
    """The fields of a process the rollback rules read (the ERI's process queries hide dead ones)."""

    id: int
    parent_id: int
    current_node_id: str
    pipeline_stack: List[str]
    asleep: bool
    dead: bool
    suspended: bool
    destination_id: str = ""


class RollbackStorage(abc.ABC):
    """The storage operations of :class:`~bamboo_engine.rollback.rules.RollbackRules`."""

    @abc.abstractmethod
    def _rollback_storage_ready(self) -> bool:
        """Whether rollbacks can be stored here (the Django runtime: the rollback app is installed)."""

    @abc.abstractmethod
    def _auto_continue_after_rollback(self) -> bool:
        """``PIPELINE_ENABLE_AUTO_EXECUTE_WHEN_ROLL_BACKED``: the pipeline goes on from the target."""

    # -- tokens and node snapshots ---------------------------------------------------------------

    @abc.abstractmethod
    def _store_tokens(self, root_pipeline_id: str, tokens: Dict[str, str]) -> None:
        """Keep ``{node_id: token}`` of the run (replacing tokens stored for it before)."""

    @abc.abstractmethod
    def _load_tokens(self, root_pipeline_id: str) -> Optional[Dict[str, str]]:
        """The run's tokens, or None when it was started without rollback."""

    @abc.abstractmethod
    def _store_node_snapshot(
        self,
        root_pipeline_id: str,
        node_id: str,
        code: str,
        version: str,
        context_values: Dict[str, Any],
        inputs: Dict[str, Any],
        outputs: Dict[str, Any],
    ) -> None:
        """Add a snapshot of a finished activity (a node that ran several times has several)."""

    @abc.abstractmethod
    def _pending_node_snapshots(self, root_pipeline_id: str, node_id: str) -> List[NodeSnapshot]:
        """The node's snapshots not rolled back yet, the latest first."""

    @abc.abstractmethod
    def _mark_node_snapshot_rolled_back(self, snapshot_id: int) -> None:
        """Record that the rollback of this snapshot succeeded."""

    @abc.abstractmethod
    def _delete_node_snapshots(self, root_pipeline_id: str, node_ids: Iterable[str]) -> None:
        """Forget the snapshots of these nodes (their runs are cleared; a new run takes new ones)."""

    # -- rollbacks -------------------------------------------------------------------------------

    @abc.abstractmethod
    def _create_rollback_record(
        self,
        root_pipeline_id: str,
        start_node_id: str,
        target_node_id: str,
        graph: Dict[str, List[Any]],
        skip_rollback_nodes: List[str],
        other_nodes: List[str],
        is_expired: bool,
    ) -> int:
        """Store a new rollback with an empty access record; its id."""

    @abc.abstractmethod
    def _load_rollback_record(self, record_id: Any) -> Optional[RollbackRecord]:
        """The rollback ``record_id`` (ids arrive as text too), or None."""

    @abc.abstractmethod
    def _live_rollback_records(self, root_pipeline_id: str) -> List[RollbackRecord]:
        """The run's rollbacks that are not expired, oldest first."""

    @abc.abstractmethod
    def _save_rollback_progress(self, record_id: int, node_access_record: Dict[str, int]) -> None:
        """Replace the access record of the rollback."""

    @abc.abstractmethod
    def _expire_rollback_records(self, root_pipeline_id: str) -> None:
        """Mark every rollback of the run expired."""

    # -- reservations ----------------------------------------------------------------------------

    @abc.abstractmethod
    def _create_reservation(
        self,
        root_pipeline_id: str,
        start_node_id: str,
        target_node_id: str,
        mode: str,
        options: Dict[str, Any],
    ) -> int:
        """Store a new live reservation; its id."""

    @abc.abstractmethod
    def _live_reservations(self, root_pipeline_id: str) -> List[Reservation]:
        """The run's reservations that are not expired, oldest first."""

    @abc.abstractmethod
    def _expire_reservation(self, reservation_id: int) -> bool:
        """Expire a live reservation: True for exactly one caller, False when it was expired already.

        The one conditional write decides the race between a cancel and the node finishing.
        """

    # -- engine records --------------------------------------------------------------------------

    @abc.abstractmethod
    def _process_rows(self, root_pipeline_id: str) -> List[ProcessRow]:
        """Every process of the run, dead ones included, oldest first."""

    @abc.abstractmethod
    def _stored_nodes(self, node_ids: Iterable[str]) -> Dict[str, Node]:
        """The nodes as stored now (never a cached copy), by id; missing ids are left out."""

    @abc.abstractmethod
    def _clear_node_runs(self, node_ids: Iterable[str]) -> None:
        """Forget everything these nodes' runs left: states, schedules, execution and callback data,
        histories (and the runtime's node logs), so the nodes run again as if for the first time."""

    @abc.abstractmethod
    def _send_rollback_message(self, kwargs: Dict[str, Any]) -> None:
        """Send a rollback message (``ROLLBACK_MESSAGE``), once the current transaction committed."""
