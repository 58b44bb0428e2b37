"""Rollback support: tokens, node snapshots and starting a rollback."""

from abc import ABC, abstractmethod

from bamboo_engine.eri.interfaces._export import public


@public
class RollbackMixin(ABC):
    """Records what a rollback needs."""

    @abstractmethod
    def set_pipeline_token(self, pipeline_tree: dict) -> None:
        """Store the rollback tokens of the tree's nodes."""

    @abstractmethod
    def set_node_snapshot(
        self,
        root_pipeline_id: str,
        node_id: str,
        code: str,
        version: str,
        context_values: dict,
        inputs: dict,
        outputs: dict,
    ) -> None:
        """Store a snapshot of a finished node."""

    @abstractmethod
    def start_rollback(self, root_pipeline_id: str, node_id: str) -> None:
        """Start rolling back to ``node_id``."""
