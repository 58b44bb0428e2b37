"""ExecutionHistoryMixin: archived executions of a node (inputs/outputs stored serialised)."""

import datetime
from typing import List

from bamboo_engine.eri.models.runtime import ExecutionHistory, ExecutionShortHistory
from bamboo_engine.testing.imp.base import StoreBacked
from bamboo_engine.testing.store import HistoryRecord


class ExecutionHistoryMixin(StoreBacked):
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
        inputs_text, inputs_serializer = self._dumps(dict(inputs))
        outputs_text, outputs_serializer = self._dumps(dict(outputs))
        with self._store.lock:
            record = HistoryRecord(
                id=self._store.next_id("history"),
                node_id=node_id,
                started_time=started_time,
                archived_time=archived_time,
                loop=loop,
                skip=skip,
                retry=retry,
                version=version,
                inputs=inputs_text,
                inputs_serializer=inputs_serializer,
                outputs=outputs_text,
                outputs_serializer=outputs_serializer,
            )
            self._store.histories[record.id] = record
            return record.id

    def _history_records(self, node_id: str, loop: int) -> List[HistoryRecord]:
        with self._store.lock:
            return [
                r
                for r in sorted(self._store.histories.values(), key=lambda r: r.id)
                if r.node_id == node_id and (loop == -1 or r.loop == loop)
            ]

    def get_histories(self, node_id: str, loop: int = -1) -> List[ExecutionHistory]:
        return [
            ExecutionHistory(
                id=r.id,  # type: ignore[arg-type]
                node_id=r.node_id,
                started_time=r.started_time,  # type: ignore[arg-type]
                archived_time=r.archived_time,  # type: ignore[arg-type]
                loop=r.loop,
                skip=r.skip,
                retry=r.retry,
                version=r.version,
                inputs=self._loads(r.inputs, r.inputs_serializer),
                outputs=self._loads(r.outputs, r.outputs_serializer),
            )
            for r in self._history_records(node_id, loop)
        ]

    def get_short_histories(self, node_id: str, loop: int = -1) -> List[ExecutionShortHistory]:
        return [
            ExecutionShortHistory(
                id=r.id,  # type: ignore[arg-type]
                node_id=r.node_id,
                started_time=r.started_time,  # type: ignore[arg-type]
                archived_time=r.archived_time,  # type: ignore[arg-type]
                loop=r.loop,
                skip=r.skip,
                retry=r.retry,
                version=r.version,
            )
            for r in self._history_records(node_id, loop)
        ]
