"""DataMixin: node data, execution data and callback data rows under the shared data rules
(``bamboo_engine.eri.rules.data``).

Root pipeline inputs are kept per worker process and a node's data rows per message
(:mod:`pipeline.eri.cache` says why that is safe).
"""

import json
from typing import Any, Dict, List, Optional, Sequence, Tuple

from bamboo_engine.eri.models.runtime import CallbackData, Data, DataInput, ExecutionData
from bamboo_engine.eri.rules.data import EMPTY, DataRules
from bamboo_engine.eri.rules.storage import id_of
from bamboo_engine.metrics import (
    ENGINE_RUNTIME_CALLBACK_DATA_READ_TIME,
    ENGINE_RUNTIME_DATA_INPUTS_READ_TIME,
    ENGINE_RUNTIME_DATA_OUTPUTS_READ_TIME,
    ENGINE_RUNTIME_DATA_READ_TIME,
    ENGINE_RUNTIME_EXEC_DATA_INPUTS_READ_TIME,
    ENGINE_RUNTIME_EXEC_DATA_INPUTS_WRITE_TIME,
    ENGINE_RUNTIME_EXEC_DATA_OUTPUTS_READ_TIME,
    ENGINE_RUNTIME_EXEC_DATA_OUTPUTS_WRITE_TIME,
    ENGINE_RUNTIME_EXEC_DATA_READ_TIME,
    ENGINE_RUNTIME_EXEC_DATA_WRITE_TIME,
    setup_histogram,
)
from pipeline.eri.cache import runtime_cache
from pipeline.eri.codec import data_inputs_dumps, data_inputs_loads
from pipeline.eri.imp import _sql
from pipeline.eri.imp._db import upsert
from pipeline.eri.imp.storage import StorageMixin
from pipeline.eri.models import CallbackData as CallbackDataModel
from pipeline.eri.models import Data as DataModel
from pipeline.eri.models import ExecutionData as ExecutionDataModel

_CALLBACK_FIELDS = ("id", "node_id", "version", "data", "serializer")

#: How many nodes' data rows one read of node data fetches: the node's own and those of the nodes ahead
#: of it (:func:`nodes_ahead`).
DATA_LOOKAHEAD = 16


def nodes_ahead(node_id: str, limit: int) -> List[str]:
    """``node_id`` and the nodes after it, breadth first along the outgoing flows, at most ``limit``.

    Only node details this worker keeps are followed (:mod:`pipeline.eri.cache`): no read is spent to
    find out what to read.
    """
    ahead = [node_id]
    seen = {node_id}
    index = 0
    while index < len(ahead) and len(ahead) < limit:
        detail = runtime_cache.node_detail(ahead[index])
        index += 1
        for target in (detail or {}).get("targets", {}).values():
            if target not in seen and len(ahead) < limit:
                seen.add(target)
                ahead.append(target)
    return ahead


def _first(rows):
    """The single column of the first row, or None (``values_list(flat=True).first()``)."""
    return rows[0][0] if rows else None


class DataMixin(StorageMixin, DataRules):
    """Read and write node data; execution data and callback data are stored with their serializer."""

    # -- node data ------------------------------------------------------------------------------

    def _data_row(self, node_id: str) -> Optional[Tuple[str, str]]:
        rows = self.memo.data_rows
        if rows is None:
            found = _sql.select(DataModel, ("inputs", "outputs"), {"node_id": node_id}, limit=1)
            return found[0] if found else None
        row = rows.get(node_id)
        if row is None and node_id not in rows:
            # With the rows of the nodes the message is likely to reach next: one read per stretch of a
            # chain instead of one per node (the memo's docstring says why the rows stay valid).
            wanted = nodes_ahead(node_id, DATA_LOOKAHEAD)
            found = _sql.select(DataModel, ("node_id", "inputs", "outputs"), {}, "node_id", wanted)
            for found_id, inputs, outputs in found:
                rows.setdefault(found_id, (inputs, outputs))
            row = rows.get(node_id)
        return row

    def _node_data(self, node_id: str) -> Optional[Data]:
        row = self._data_row(node_id)
        if row is None:
            return None
        return Data(inputs=data_inputs_loads(row[0]), outputs=json.loads(row[1] or EMPTY))

    def _node_data_inputs(self, node_id: str) -> Optional[Dict[str, DataInput]]:
        kept = runtime_cache.root_inputs(node_id)
        if kept is not None:
            return kept
        text = _first(_sql.select(DataModel, ("inputs",), {"node_id": node_id}, limit=1))
        if text is None:
            return None
        inputs = data_inputs_loads(text)
        runtime_cache.keep_root_inputs(node_id, inputs)
        return inputs

    def _node_data_outputs(self, node_id: str) -> Optional[dict]:
        rows = self.memo.data_rows
        row = rows.get(node_id) if rows is not None else None
        text = (
            row[1]
            if row is not None
            else _first(_sql.select(DataModel, ("outputs",), {"node_id": node_id}, limit=1))
        )
        return json.loads(text or EMPTY) if text is not None else None

    @setup_histogram(ENGINE_RUNTIME_DATA_READ_TIME)
    def get_data(self, node_id: str) -> Data:
        return super().get_data(node_id)

    @setup_histogram(ENGINE_RUNTIME_DATA_INPUTS_READ_TIME)
    def get_data_inputs(self, node_id: str) -> Dict[str, DataInput]:
        return super().get_data_inputs(node_id)

    @setup_histogram(ENGINE_RUNTIME_DATA_OUTPUTS_READ_TIME)
    def get_data_outputs(self, node_id: str) -> dict:
        return super().get_data_outputs(node_id)

    def scope_to_message(self) -> None:
        """Mark this runtime as built for one message (the Celery tasks do): keeps node data rows."""
        self.memo.scope_to_message()

    def get_batch_data(self, node_ids: List[str]) -> Dict[str, Data]:
        rows = DataModel.objects.filter(node_id__in=list(node_ids)).values_list(
            "node_id", "inputs", "outputs"
        )
        return {
            node_id: Data(inputs=data_inputs_loads(inputs), outputs=json.loads(outputs or EMPTY))
            for node_id, inputs, outputs in rows
        }

    def set_data_inputs(self, node_id: str, data: Dict[str, DataInput]):
        """Replace the node's declared inputs; its output mapping stays (``{}`` for a new node)."""
        if self.memo.data_rows is not None:
            self.memo.data_rows.pop(node_id, None)
        runtime_cache.forget_inputs(node_id)
        upsert(DataModel, {"node_id": node_id}, {"inputs": data_inputs_dumps(data)}, {"outputs": EMPTY})

    # -- execution data -------------------------------------------------------------------------

    def _execution_data_row(self, node_id: str, fields: Sequence[str]) -> Optional[Tuple[Any, ...]]:
        rows = _sql.select(ExecutionDataModel, fields, {"node_id": node_id}, limit=1)
        return rows[0] if rows else None

    def _upsert_execution_data(
        self, node_id: str, values: Dict[str, str], create_defaults: Dict[str, str]
    ) -> None:
        upsert(ExecutionDataModel, {"node_id": node_id}, values, create_defaults)

    @setup_histogram(ENGINE_RUNTIME_EXEC_DATA_READ_TIME)
    def get_execution_data(self, node_id: str) -> ExecutionData:
        return super().get_execution_data(node_id)

    @setup_histogram(ENGINE_RUNTIME_EXEC_DATA_INPUTS_READ_TIME)
    def get_execution_data_inputs(self, node_id: str) -> dict:
        return super().get_execution_data_inputs(node_id)

    @setup_histogram(ENGINE_RUNTIME_EXEC_DATA_OUTPUTS_READ_TIME)
    def get_execution_data_outputs(self, node_id: str) -> dict:
        return super().get_execution_data_outputs(node_id)

    @setup_histogram(ENGINE_RUNTIME_EXEC_DATA_WRITE_TIME)
    def set_execution_data(self, node_id: str, data: ExecutionData):
        super().set_execution_data(node_id, data)

    @setup_histogram(ENGINE_RUNTIME_EXEC_DATA_INPUTS_WRITE_TIME)
    def set_execution_data_inputs(self, node_id: str, inputs: dict):
        super().set_execution_data_inputs(node_id, inputs)

    @setup_histogram(ENGINE_RUNTIME_EXEC_DATA_OUTPUTS_WRITE_TIME)
    def set_execution_data_outputs(self, node_id: str, outputs: dict):
        super().set_execution_data_outputs(node_id, outputs)

    # -- callback data --------------------------------------------------------------------------

    def _callback_data_row(self, data_id: int) -> Optional[Dict[str, Any]]:
        key = id_of(data_id)
        if key is None:
            return None
        row = CallbackDataModel.objects.filter(id=key).values_list(*_CALLBACK_FIELDS).first()
        return dict(zip(_CALLBACK_FIELDS, row, strict=True)) if row is not None else None

    @setup_histogram(ENGINE_RUNTIME_CALLBACK_DATA_READ_TIME)
    def get_callback_data(self, data_id: int) -> CallbackData:
        return super().get_callback_data(data_id)
