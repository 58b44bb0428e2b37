"""DataMixin: node data (declared inputs, output mapping), execution data and callback data."""

import json
import threading
from typing import Dict, List, Set, Tuple

from bamboo_engine.eri.models.runtime import CallbackData, Data, DataInput, ExecutionData
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
from pipeline.eri.codec import JSON_SERIALIZER, data_inputs_dumps, data_inputs_loads
from pipeline.eri.imp import _sql
from pipeline.eri.imp._db import not_found, upsert
from pipeline.eri.models import CallbackData as CallbackDataModel
from pipeline.eri.models import Data as DataModel
from pipeline.eri.models import ExecutionData as ExecutionDataModel

_EMPTY = "{}"
_ROOT_CACHE_LIMIT = 10000

# Root pipeline data (``root_pipeline_data`` of run_pipeline) is written once at prepare time and read
# by every activity of the run: it is cached per worker process. Only ids known to be root pipelines
# (recorded when a process of theirs is read) are cached; node data, which retries change, never is.
_root_ids: Set[str] = set()
_root_inputs: Dict[str, Dict[str, DataInput]] = {}
_root_lock = threading.Lock()


def remember_root_pipeline(root_pipeline_id: str) -> None:
    """Record that ``root_pipeline_id`` is the id of a root pipeline (its data inputs never change)."""
    if root_pipeline_id in _root_ids:
        return
    with _root_lock:
        if len(_root_ids) >= _ROOT_CACHE_LIMIT:
            _root_ids.clear()
            _root_inputs.clear()
        _root_ids.add(root_pipeline_id)


def clear_root_data_cache() -> None:
    """Forget every cached root pipeline data (tests)."""
    with _root_lock:
        _root_ids.clear()
        _root_inputs.clear()


def _first(rows):
    """The single column of the first row, or None (``values_list(flat=True).first()``)."""
    return rows[0][0] if rows else None


class DataMixin:
    """Read and write node data; execution data is stored with its serializer name."""

    # -- node data ------------------------------------------------------------------------------

    @setup_histogram(ENGINE_RUNTIME_DATA_READ_TIME)
    def get_data(self, node_id: str) -> Data:
        # Runtimes built for one message (``message_scoped``) remember the rows they read: a node's
        # data cannot change while its own step runs (only operators change it, on a failed node).
        memo = self.__dict__.get("_data_rows") if self.__dict__.get("message_scoped") else None
        row = memo.get(node_id) if memo is not None else None
        if row is None:
            rows = _sql.select(DataModel, ("inputs", "outputs"), {"node_id": node_id}, limit=1)
            if not rows:
                raise not_found(DataModel, "data of node", node_id)
            row = rows[0]
            if memo is not None:
                memo[node_id] = row
        return Data(inputs=data_inputs_loads(row[0]), outputs=json.loads(row[1] or _EMPTY))

    def scope_to_message(self) -> None:
        """Mark this runtime as built for one message (the Celery tasks do): enables per-message memos."""
        self.__dict__["message_scoped"] = True
        self.__dict__["_data_rows"] = {}

    def get_batch_data(self, node_ids: List[str]) -> Dict[str, Data]:
        rows = DataModel.objects.filter(node_id__in=list(node_ids)).values_list(
            "node_id", "inputs", "outputs"
        )
        return {
            node_id: Data(inputs=data_inputs_loads(inputs), outputs=json.loads(outputs or _EMPTY))
            for node_id, inputs, outputs in rows
        }

    @setup_histogram(ENGINE_RUNTIME_DATA_INPUTS_READ_TIME)
    def get_data_inputs(self, node_id: str) -> Dict[str, DataInput]:
        cached = _root_inputs.get(node_id)
        if cached is not None:
            return dict(cached)
        text = _first(_sql.select(DataModel, ("inputs",), {"node_id": node_id}, limit=1))
        if text is None:
            raise not_found(DataModel, "data of node", node_id)
        inputs = data_inputs_loads(text)
        if node_id in _root_ids:
            with _root_lock:
                _root_inputs[node_id] = dict(inputs)
        return inputs

    @setup_histogram(ENGINE_RUNTIME_DATA_OUTPUTS_READ_TIME)
    def get_data_outputs(self, node_id: str) -> dict:
        memo_row = self.__dict__.get("_data_rows", {}).get(node_id)
        if memo_row is not None:
            return json.loads(memo_row[1] or _EMPTY)
        text = _first(_sql.select(DataModel, ("outputs",), {"node_id": node_id}, limit=1))
        if text is None:
            raise not_found(DataModel, "data of node", node_id)
        return json.loads(text or _EMPTY)

    def set_data_inputs(self, node_id: str, data: Dict[str, DataInput]):
        self.__dict__.get("_data_rows", {}).pop(node_id, None)
        with _root_lock:
            _root_inputs.pop(node_id, None)
        upsert(DataModel, {"node_id": node_id}, {"inputs": data_inputs_dumps(data)}, {"outputs": _EMPTY})

    # -- execution data -------------------------------------------------------------------------

    def serialize_execution_data(self, data: dict) -> Tuple[str, str]:
        return self._serialize(data)  # type: ignore[attr-defined]

    def deserialize_execution_data(self, data: str, serializer: str) -> dict:
        return self._deserialize(data, serializer)  # type: ignore[attr-defined]

    def _execution_row(self, node_id: str, *fields: str):
        rows = _sql.select(ExecutionDataModel, fields, {"node_id": node_id}, limit=1)
        return rows[0] if rows else None

    @setup_histogram(ENGINE_RUNTIME_EXEC_DATA_READ_TIME)
    def get_execution_data(self, node_id: str) -> ExecutionData:
        row = self._execution_row(node_id, "inputs", "inputs_serializer", "outputs", "outputs_serializer")
        if row is None:
            raise not_found(ExecutionDataModel, "execution data of node", node_id)
        return ExecutionData(
            inputs=self._deserialize(row[0], row[1]),  # type: ignore[attr-defined]
            outputs=self._deserialize(row[2], row[3]),  # type: ignore[attr-defined]
        )

    @setup_histogram(ENGINE_RUNTIME_EXEC_DATA_INPUTS_READ_TIME)
    def get_execution_data_inputs(self, node_id: str) -> dict:
        row = self._execution_row(node_id, "inputs", "inputs_serializer")
        return self._deserialize(*row) if row else {}  # type: ignore[attr-defined]

    @setup_histogram(ENGINE_RUNTIME_EXEC_DATA_OUTPUTS_READ_TIME)
    def get_execution_data_outputs(self, node_id: str) -> dict:
        row = self._execution_row(node_id, "outputs", "outputs_serializer")
        return self._deserialize(*row) if row else {}  # type: ignore[attr-defined]

    @setup_histogram(ENGINE_RUNTIME_EXEC_DATA_WRITE_TIME)
    def set_execution_data(self, node_id: str, data: ExecutionData):
        inputs, inputs_serializer = self._serialize(dict(data.inputs))  # type: ignore[attr-defined]
        outputs, outputs_serializer = self._serialize(dict(data.outputs))  # type: ignore[attr-defined]
        values = {
            "inputs": inputs,
            "inputs_serializer": inputs_serializer,
            "outputs": outputs,
            "outputs_serializer": outputs_serializer,
        }
        self._upsert_execution_data(node_id, values, {})

    def _upsert_execution_data(self, node_id: str, values: dict, defaults: dict) -> None:
        upsert(ExecutionDataModel, {"node_id": node_id}, values, defaults)

    @setup_histogram(ENGINE_RUNTIME_EXEC_DATA_INPUTS_WRITE_TIME)
    def set_execution_data_inputs(self, node_id: str, inputs: dict):
        text, serializer = self._serialize(dict(inputs))  # type: ignore[attr-defined]
        defaults = {"outputs": _EMPTY, "outputs_serializer": JSON_SERIALIZER}
        self._upsert_execution_data(node_id, {"inputs": text, "inputs_serializer": serializer}, defaults)

    @setup_histogram(ENGINE_RUNTIME_EXEC_DATA_OUTPUTS_WRITE_TIME)
    def set_execution_data_outputs(self, node_id: str, outputs: dict):
        text, serializer = self._serialize(dict(outputs))  # type: ignore[attr-defined]
        defaults = {"inputs": _EMPTY, "inputs_serializer": JSON_SERIALIZER}
        self._upsert_execution_data(node_id, {"outputs": text, "outputs_serializer": serializer}, defaults)

    # -- callback data --------------------------------------------------------------------------

    def set_callback_data(self, node_id: str, version: str, data: dict) -> int:
        return CallbackDataModel.objects.create(node_id=node_id, version=version, data=json.dumps(data)).id

    @setup_histogram(ENGINE_RUNTIME_CALLBACK_DATA_READ_TIME)
    def get_callback_data(self, data_id: int) -> CallbackData:
        row = (
            CallbackDataModel.objects.filter(id=data_id)
            .values_list("id", "node_id", "version", "data")
            .first()
        )
        if row is None:
            raise not_found(CallbackDataModel, "callback data", data_id)
        return CallbackData(id=row[0], node_id=row[1], version=row[2], data=json.loads(row[3]))
