"""ExecutionHistoryMixin: history records under the shared history rules
(:mod:`bamboo_engine.eri.rules.history`)."""

from typing import Any, Dict, List

from bamboo_engine.eri.rules.history import HistoryRules
from bamboo_engine.testing.imp.base import StoreBacked


class ExecutionHistoryMixin(StoreBacked, HistoryRules):
    def _history_rows(self, node_id: str, loop: int, fields: tuple) -> List[Dict[str, Any]]:
        with self._store.lock:
            records = sorted(self._store.histories.values(), key=lambda r: r.id)
            return [
                {name: getattr(r, name) for name in fields}
                for r in records
                if r.node_id == node_id and (loop == -1 or r.loop == loop)
            ]
