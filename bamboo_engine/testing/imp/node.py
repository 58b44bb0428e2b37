"""NodeMixin: nodes built from the tree at prepare time (handed out as copies)."""

import copy

from bamboo_engine.eri.models.node import LoopControlConfig, Node
from bamboo_engine.exceptions import InvalidOperationError
from bamboo_engine.testing.imp.base import StoreBacked, not_found


class NodeMixin(StoreBacked):
    def get_node(self, node_id: str) -> Node:
        with self._store.lock:
            node = self._store.nodes.get(node_id)
            if node is None:
                raise not_found("node", node_id)
            return copy.deepcopy(node)

    def update_node_loop_times(self, node_id: str, loop_times: int):
        with self._store.lock:
            node = self._store.nodes.get(node_id)
            if node is None:
                raise not_found("node", node_id)
            config = node.loop_config
            if not isinstance(config, LoopControlConfig):
                raise InvalidOperationError(f"node({node_id}) has no loop config, can not set its loop times")
            config.loop_times = loop_times
