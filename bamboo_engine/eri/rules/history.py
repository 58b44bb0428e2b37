"""History rules: one row per archived run of a node, its data stored like execution data.

The engine builds the row from the node's state before a re-entry, retry or skip overwrites it
(``bamboo_engine.engine.hooks.archive_run``); histories are read back oldest first.
"""

import abc
import datetime
from typing import Any, Dict, List

from bamboo_engine.eri.interfaces.history import ExecutionHistoryMixin
from bamboo_engine.eri.models.runtime import ExecutionHistory, ExecutionShortHistory
from bamboo_engine.eri.rules.storage import HISTORY, RuleStorage

#: Columns of :class:`ExecutionShortHistory`, in its constructor's order.
SHORT_FIELDS = ("id", "node_id", "started_time", "archived_time", "loop", "skip", "retry", "version")
#: The stored data of a history row, read only for full histories.
DATA_FIELDS = ("inputs", "inputs_serializer", "outputs", "outputs_serializer")


class HistoryRules(ExecutionHistoryMixin, RuleStorage):
    """:class:`~bamboo_engine.eri.interfaces.ExecutionHistoryMixin` on a runtime's storage (it supplies
    :meth:`_history_rows`)."""

    @abc.abstractmethod
    def _history_rows(self, node_id: str, loop: int, fields: tuple) -> List[Dict[str, Any]]:
        """The node's history rows (of ``loop``, or all for -1) with ``fields``, oldest first."""

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
        inputs_text, inputs_serializer = self._serialize(dict(inputs))
        outputs_text, outputs_serializer = self._serialize(dict(outputs))
        row = {
            "node_id": node_id,
            "started_time": started_time,
            "archived_time": archived_time,
            "loop": loop,
            "skip": skip,
            "retry": retry,
            "version": version,
            "inputs": inputs_text,
            "inputs_serializer": inputs_serializer,
            "outputs": outputs_text,
            "outputs_serializer": outputs_serializer,
        }
        return self._insert_new_row(HISTORY, row)

    def get_histories(self, node_id: str, loop: int = -1) -> List[ExecutionHistory]:
        return [
            ExecutionHistory(
                **{name: row[name] for name in SHORT_FIELDS},
                inputs=self._deserialize(row["inputs"], row["inputs_serializer"]),
                outputs=self._deserialize(row["outputs"], row["outputs_serializer"]),
            )
            for row in self._history_rows(node_id, loop, SHORT_FIELDS + DATA_FIELDS)
        ]

    def get_short_histories(self, node_id: str, loop: int = -1) -> List[ExecutionShortHistory]:
        return [
            ExecutionShortHistory(**{name: row[name] for name in SHORT_FIELDS})
            for row in self._history_rows(node_id, loop, SHORT_FIELDS)
        ]
