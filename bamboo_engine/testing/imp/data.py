"""DataMixin: node data, execution data and callback data records under the shared data rules
(:mod:`bamboo_engine.eri.rules.data`)."""

import copy
import dataclasses
from typing import Any, Dict, List, Optional, Sequence, Tuple

from bamboo_engine.eri.models.runtime import Data, DataInput
from bamboo_engine.eri.rules.data import DataRules
from bamboo_engine.eri.rules.storage import CALLBACK_DATA
from bamboo_engine.testing.imp.base import StoreBacked
from bamboo_engine.testing.store import ExecutionDataRecord


class DataMixin(StoreBacked, DataRules):
    def _node_data(self, node_id: str) -> Optional[Data]:
        with self._store.lock:
            data = self._store.data.get(node_id)
            # A copy: callers may change what they read.
            return copy.deepcopy(data) if data is not None else None

    def _node_data_inputs(self, node_id: str) -> Optional[Dict[str, DataInput]]:
        data = self._node_data(node_id)
        return data.inputs if data is not None else None

    def _node_data_outputs(self, node_id: str) -> Optional[dict]:
        data = self._node_data(node_id)
        return data.outputs if data is not None else None

    def get_batch_data(self, node_ids: List[str]) -> Dict[str, Data]:
        with self._store.lock:
            return {n: copy.deepcopy(self._store.data[n]) for n in node_ids if n in self._store.data}

    def set_data_inputs(self, node_id: str, data: Dict[str, DataInput]) -> None:
        """Replace the node's declared inputs; its output mapping stays (``{}`` for a new node)."""
        with self._store.lock:
            current = self._store.data.get(node_id)
            outputs = current.outputs if current is not None else {}
            self._store.data[node_id] = Data(inputs=copy.deepcopy(dict(data)), outputs=outputs)

    def _execution_data_row(self, node_id: str, fields: Sequence[str]) -> Optional[Tuple[Any, ...]]:
        with self._store.lock:
            record = self._store.execution_data.get(node_id)
            return tuple(getattr(record, name) for name in fields) if record is not None else None

    def _upsert_execution_data(
        self, node_id: str, values: Dict[str, str], create_defaults: Dict[str, str]
    ) -> None:
        with self._store.lock:
            # Replace, never mutate, a record: Store.snapshot_results copies only the table.
            record = self._store.execution_data.get(node_id)
            if record is None:
                self._store.execution_data[node_id] = ExecutionDataRecord(**{**create_defaults, **values})
            else:
                self._store.execution_data[node_id] = dataclasses.replace(record, **values)

    def _callback_data_row(self, data_id: int) -> Optional[Dict[str, Any]]:
        matched = self._store.matching(CALLBACK_DATA, {"id": data_id})
        return dict(vars(matched[0])) if matched else None
