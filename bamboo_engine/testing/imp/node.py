"""NodeMixin: node details (stored as prepared) under the shared node rules
(:mod:`bamboo_engine.eri.rules.node`)."""

import copy
from typing import Optional

from bamboo_engine.eri.rules.node import Detail, NodeRules
from bamboo_engine.testing.imp.base import StoreBacked


class NodeMixin(StoreBacked, NodeRules):
    def _node_detail(self, node_id: str) -> Optional[Detail]:
        with self._store.lock:
            return self._store.nodes.get(node_id)

    def _stored_node_detail(self, node_id: str) -> Optional[Detail]:
        with self._store.lock:
            detail = self._store.nodes.get(node_id)
            return copy.deepcopy(detail) if detail is not None else None

    def _save_node_detail(self, node_id: str, detail: Detail) -> None:
        with self._store.lock:
            self._store.nodes[node_id] = detail
