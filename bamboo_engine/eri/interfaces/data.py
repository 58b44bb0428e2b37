"""Node data (declared inputs and output mapping), execution data and callback data."""

from abc import ABC, abstractmethod
from typing import Dict, List, Tuple

from bamboo_engine.eri.interfaces._export import public
from bamboo_engine.eri.models.runtime import CallbackData, Data, DataInput, ExecutionData


@public
class DataMixin(ABC):
    """Read and write node data."""

    @abstractmethod
    def get_data(self, node_id: str) -> Data:
        """The node's declared inputs and output mapping.

        Raises:
            NotFoundError: no data.
        """

    @abstractmethod
    def get_batch_data(self, node_ids: List[str]) -> Dict[str, Data]:
        """``{node_id: Data}`` for several nodes."""

    @abstractmethod
    def get_data_inputs(self, node_id: str) -> Dict[str, DataInput]:
        """The node's declared inputs.

        Raises:
            NotFoundError: no data.
        """

    @abstractmethod
    def get_data_outputs(self, node_id: str) -> dict:
        """The node's output mapping ``{output_key: context_key}``.

        Raises:
            NotFoundError: no data.
        """

    @abstractmethod
    def set_data_inputs(self, node_id: str, data: Dict[str, DataInput]) -> None:
        """Replace the node's declared inputs."""

    @abstractmethod
    def get_execution_data(self, node_id: str) -> ExecutionData:
        """The inputs and outputs of the node's last execution.

        Raises:
            NotFoundError: the node has no execution data.
        """

    @abstractmethod
    def get_execution_data_inputs(self, node_id: str) -> dict:
        """Execution inputs (empty dict if none)."""

    @abstractmethod
    def get_execution_data_outputs(self, node_id: str) -> dict:
        """Execution outputs (empty dict if none)."""

    @abstractmethod
    def set_execution_data(self, node_id: str, data: ExecutionData) -> None:
        """Store execution inputs and outputs."""

    @abstractmethod
    def set_execution_data_inputs(self, node_id: str, inputs: dict) -> None:
        """Store execution inputs."""

    @abstractmethod
    def set_execution_data_outputs(self, node_id: str, outputs: dict) -> None:
        """Store execution outputs."""

    @abstractmethod
    def set_callback_data(self, node_id: str, version: str, data: dict) -> int:
        """Store callback data for ``(node_id, version)``; returns its id."""

    @abstractmethod
    def get_callback_data(self, data_id: int) -> CallbackData:
        """The callback data ``data_id``.

        Raises:
            NotFoundError: no such callback data.
        """

    @abstractmethod
    def serialize_execution_data(self, data: dict) -> Tuple[str, str]:
        """``(serialized value, serializer name)``."""

    @abstractmethod
    def deserialize_execution_data(self, data: str, serializer: str) -> dict:
        """Inverse of :meth:`serialize_execution_data`."""
