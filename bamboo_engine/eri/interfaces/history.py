"""Execution history of nodes that ran more than once."""

import datetime
from abc import ABC, abstractmethod
from typing import List

from bamboo_engine.eri.interfaces._export import public
from bamboo_engine.eri.models.runtime import ExecutionHistory, ExecutionShortHistory


@public
class ExecutionHistoryMixin(ABC):
    """Archive and read past executions."""

    @abstractmethod
    def add_history(
        self,
        node_id: str,
        started_time: datetime.datetime,
        archived_time: datetime.datetime,
        loop: int,
        skip: bool,
        retry: int,
        version: str,
        inputs: dict,
        outputs: dict,
    ) -> int:
        """Archive one execution; returns the history id."""

    @abstractmethod
    def get_histories(self, node_id: str, loop: int = -1) -> List[ExecutionHistory]:
        """Histories of the node (only of ``loop`` unless it is -1)."""

    @abstractmethod
    def get_short_histories(self, node_id: str, loop: int = -1) -> List[ExecutionShortHistory]:
        """Like :meth:`get_histories` without inputs and outputs."""
