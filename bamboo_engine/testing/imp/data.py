"""DataMixin: node data, execution data (stored serialised) and callback data."""

import copy
import dataclasses
from typing import Dict, List, Tuple

from bamboo_engine.eri.models.runtime import CallbackData, Data, DataInput, ExecutionData
from bamboo_engine.testing.imp.base import StoreBacked, not_found
from bamboo_engine.testing.store import CallbackDataRecord, ExecutionDataRecord


class DataMixin(StoreBacked):
    def get_data(self, node_id: str) -> Data:
        with self._store.lock:
            data = self._store.data.get(node_id)
            if data is None:
                raise not_found("data of node", node_id)
            return copy.deepcopy(data)

    def get_batch_data(self, node_ids: List[str]) -> Dict[str, Data]:
        with self._store.lock:
            return {n: copy.deepcopy(self._store.data[n]) for n in node_ids if n in self._store.data}

    def get_data_inputs(self, node_id: str) -> Dict[str, DataInput]:
        return self.get_data(node_id).inputs

    def get_data_outputs(self, node_id: str) -> dict:
        return self.get_data(node_id).outputs

    def set_data_inputs(self, node_id: str, data: Dict[str, DataInput]):
        with self._store.lock:
            current = self._store.data.get(node_id)
            outputs = current.outputs if current is not None else {}
            self._store.data[node_id] = Data(inputs=copy.deepcopy(dict(data)), outputs=outputs)

    # -- execution data -------------------------------------------------------------------------

    def serialize_execution_data(self, data: dict) -> Tuple[str, str]:
        return self._dumps(data)

    def deserialize_execution_data(self, data: str, serializer: str) -> dict:
        return self._loads(data, serializer)

    def _execution_record(self, node_id: str) -> ExecutionDataRecord:
        record = self._store.execution_data.get(node_id)
        if record is None:
            raise not_found("execution data of node", node_id)
        return record

    def get_execution_data(self, node_id: str) -> ExecutionData:
        with self._store.lock:
            record = self._execution_record(node_id)
            return ExecutionData(
                inputs=self._loads(record.inputs, record.inputs_serializer),
                outputs=self._loads(record.outputs, record.outputs_serializer),
            )

    def get_execution_data_inputs(self, node_id: str) -> dict:
        with self._store.lock:
            record = self._store.execution_data.get(node_id)
            return self._loads(record.inputs, record.inputs_serializer) if record else {}

    def get_execution_data_outputs(self, node_id: str) -> dict:
        with self._store.lock:
            record = self._store.execution_data.get(node_id)
            return self._loads(record.outputs, record.outputs_serializer) if record else {}

    def set_execution_data(self, node_id: str, data: ExecutionData):
        inputs, inputs_serializer = self._dumps(dict(data.inputs))
        outputs, outputs_serializer = self._dumps(dict(data.outputs))
        with self._store.lock:
            self._store.execution_data[node_id] = ExecutionDataRecord(
                inputs=inputs,
                inputs_serializer=inputs_serializer,
                outputs=outputs,
                outputs_serializer=outputs_serializer,
            )

    def set_execution_data_inputs(self, node_id: str, inputs: dict):
        text, serializer = self._dumps(dict(inputs))
        with self._store.lock:
            # Replace, never mutate, a record: Store.snapshot_results copies only the table.
            record = self._store.execution_data.get(node_id) or ExecutionDataRecord()
            self._store.execution_data[node_id] = dataclasses.replace(
                record, inputs=text, inputs_serializer=serializer
            )

    def set_execution_data_outputs(self, node_id: str, outputs: dict):
        text, serializer = self._dumps(dict(outputs))
        with self._store.lock:
            record = self._store.execution_data.get(node_id) or ExecutionDataRecord()
            self._store.execution_data[node_id] = dataclasses.replace(
                record, outputs=text, outputs_serializer=serializer
            )

    # -- callback data --------------------------------------------------------------------------

    def set_callback_data(self, node_id: str, version: str, data: dict) -> int:
        text, serializer = self._dumps(data)
        with self._store.lock:
            record = CallbackDataRecord(
                id=self._store.next_id("callback"),
                node_id=node_id,
                version=version,
                data=text,
                serializer=serializer,
            )
            self._store.callback_data[record.id] = record
            return record.id

    def get_callback_data(self, data_id: int) -> CallbackData:
        with self._store.lock:
            record = self._store.callback_data.get(int(data_id))
            if record is None:
                raise not_found("callback data", data_id)
            return CallbackData(
                id=record.id,
                node_id=record.node_id,
                version=record.version,
                data=self._loads(record.data, record.serializer),
            )
