"""Data rules: node data, execution data and callback data, and what a missing row means for each.

* Node data (the declared inputs and the output mapping, written at prepare): a getter of a node without
  data raises ``NotFoundError``.
* Execution data (what a service read and wrote): ``get_execution_data`` raises for a node that never ran,
  its ``_inputs``/``_outputs`` halves answer ``{}``; each half is written on its own and a row created
  by one half has ``{}`` in the other.
* Callback data: stored as :mod:`bamboo_engine.codec` text with its serializer name, like every other
  value, so a callback may carry datetimes, Decimals, sets, ...
"""

import abc
from typing import Any, Dict, Optional, Sequence, Tuple

from bamboo_engine.codec import JSON_SERIALIZER
from bamboo_engine.eri.interfaces.data import DataMixin
from bamboo_engine.eri.models.runtime import CallbackData, Data, DataInput, ExecutionData
from bamboo_engine.eri.rules.storage import CALLBACK_DATA, DATA, EXECUTION_DATA, RuleStorage

EMPTY = "{}"
_INPUTS = ("inputs", "inputs_serializer")
_OUTPUTS = ("outputs", "outputs_serializer")


class DataRules(DataMixin, RuleStorage):
    """:class:`~bamboo_engine.eri.interfaces.DataMixin` on a runtime's storage.

    A runtime supplies the node data reads and write, :meth:`_execution_data_row`,
    :meth:`_upsert_execution_data` and :meth:`_callback_data_row`.
    """

    @abc.abstractmethod
    def _node_data(self, node_id: str) -> Optional[Data]:
        """The node's data, or None."""

    @abc.abstractmethod
    def _node_data_inputs(self, node_id: str) -> Optional[Dict[str, DataInput]]:
        """The node's declared inputs, or None when it has no data."""

    @abc.abstractmethod
    def _node_data_outputs(self, node_id: str) -> Optional[dict]:
        """The node's output mapping, or None when it has no data."""

    @abc.abstractmethod
    def _execution_data_row(self, node_id: str, fields: Sequence[str]) -> Optional[Tuple[Any, ...]]:
        """The values of ``fields`` in the node's execution data, or None when it has none."""

    @abc.abstractmethod
    def _upsert_execution_data(
        self, node_id: str, values: Dict[str, str], create_defaults: Dict[str, str]
    ) -> None:
        """Write ``values``; a row created now gets ``create_defaults`` for its other columns."""

    @abc.abstractmethod
    def _callback_data_row(self, data_id: int) -> Optional[Dict[str, Any]]:
        """The callback data row (``id``, ``node_id``, ``version``, ``data``, ``serializer``), or None."""

    # -- node data -------------------------------------------------------------------------------

    def get_data(self, node_id: str) -> Data:
        return _found(self._node_data(node_id), self, node_id)

    def get_data_inputs(self, node_id: str) -> Dict[str, DataInput]:
        return _found(self._node_data_inputs(node_id), self, node_id)

    def get_data_outputs(self, node_id: str) -> dict:
        return _found(self._node_data_outputs(node_id), self, node_id)

    # -- execution data --------------------------------------------------------------------------

    def serialize_execution_data(self, data: dict) -> Tuple[str, str]:
        return self._serialize(data)

    def deserialize_execution_data(self, data: str, serializer: str) -> dict:
        return self._deserialize(data, serializer)

    def get_execution_data(self, node_id: str) -> ExecutionData:
        row = self._execution_data_row(node_id, _INPUTS + _OUTPUTS)
        if row is None:
            raise self._not_found(EXECUTION_DATA, "execution data of node", node_id)
        return ExecutionData(
            inputs=self._deserialize(row[0], row[1]), outputs=self._deserialize(row[2], row[3])
        )

    def get_execution_data_inputs(self, node_id: str) -> dict:
        row = self._execution_data_row(node_id, _INPUTS)
        return self._deserialize(*row) if row is not None else {}

    def get_execution_data_outputs(self, node_id: str) -> dict:
        row = self._execution_data_row(node_id, _OUTPUTS)
        return self._deserialize(*row) if row is not None else {}

    def set_execution_data(self, node_id: str, data: ExecutionData) -> None:
        inputs, inputs_serializer = self._serialize(dict(data.inputs))
        outputs, outputs_serializer = self._serialize(dict(data.outputs))
        values = dict(
            zip(_INPUTS + _OUTPUTS, (inputs, inputs_serializer, outputs, outputs_serializer), strict=True)
        )
        self._upsert_execution_data(node_id, values, {})

    def set_execution_data_inputs(self, node_id: str, inputs: dict) -> None:
        values = dict(zip(_INPUTS, self._serialize(dict(inputs)), strict=True))
        self._upsert_execution_data(
            node_id, values, dict(zip(_OUTPUTS, (EMPTY, JSON_SERIALIZER), strict=True))
        )

    def set_execution_data_outputs(self, node_id: str, outputs: dict) -> None:
        values = dict(zip(_OUTPUTS, self._serialize(dict(outputs)), strict=True))
        self._upsert_execution_data(
            node_id, values, dict(zip(_INPUTS, (EMPTY, JSON_SERIALIZER), strict=True))
        )

    # -- callback data ---------------------------------------------------------------------------

    def set_callback_data(self, node_id: str, version: str, data: dict) -> int:
        text, serializer = self._serialize(data)
        row = {"node_id": node_id, "version": version, "data": text, "serializer": serializer}
        return self._insert_new_row(CALLBACK_DATA, row)

    def get_callback_data(self, data_id: int) -> CallbackData:
        row = self._callback_data_row(data_id)
        if row is None:
            raise self._not_found(CALLBACK_DATA, "callback data", data_id)
        return CallbackData(
            id=row["id"],
            node_id=row["node_id"],
            version=row["version"],
            data=self._deserialize(row["data"], row["serializer"]),
        )


def _found(value: Any, rules: DataRules, node_id: str) -> Any:
    if value is None:
        raise rules._not_found(DATA, "data of node", node_id)
    return value
