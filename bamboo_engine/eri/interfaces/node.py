"""Node definitions of a prepared pipeline."""

from abc import ABC, abstractmethod

from bamboo_engine.eri.interfaces._export import public
from bamboo_engine.eri.models.node import Node


@public
class NodeMixin(ABC):
    """Read nodes."""

    @abstractmethod
    def get_node(self, node_id: str) -> Node:
        """The node ``node_id``.

        Raises:
            NotFoundError: no such node.
        """

    @abstractmethod
    def update_node_loop_times(self, node_id: str, loop_times: int) -> None:
        """Change the ``loop_times`` of a loop-enabled node.

        Raises:
            NotFoundError: no such node.
        """
