"""ExecutionHistoryMixin: history rows under the shared history rules
(``bamboo_engine.eri.rules.history``)."""

from typing import Any, Dict, List

from bamboo_engine.eri.rules.history import HistoryRules
from pipeline.eri.imp.storage import StorageMixin
from pipeline.eri.models import ExecutionHistory as HistoryModel


class ExecutionHistoryMixin(StorageMixin, HistoryRules):
    """Archive and read past executions."""

    def _history_rows(self, node_id: str, loop: int, fields: tuple) -> List[Dict[str, Any]]:
        rows = HistoryModel.objects.filter(node_id=node_id)
        if loop != -1:
            rows = rows.filter(loop=loop)
        return list(rows.order_by("id").values(*fields))
