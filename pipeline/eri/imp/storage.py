"""StorageMixin: the storage operations of the shared rules (``bamboo_engine.eri.rules``) on the Django ORM.

Inserts and conditional updates go through :mod:`pipeline.eri.imp._sql` (one statement each); a transaction
is ``transaction.atomic``. Two things the rules do not know are done here, where rows are written: a
process's pipeline stack is stored as JSON text, and the runtime's caches (:mod:`pipeline.eri.cache`) learn
the route of each new process and forget a state row that was written.
"""

import datetime
import json
from typing import Any, ContextManager, Dict, List, Optional

from django.db import connection, transaction
from django.utils import timezone

from bamboo_engine.eri.rules import storage as tables
from bamboo_engine.eri.rules.storage import RuleStorage
from bamboo_engine.exceptions import NotFoundError
from pipeline.eri import models
from pipeline.eri.cache import MessageMemo, runtime_cache
from pipeline.eri.imp import _sql
from pipeline.eri.imp._db import not_found

MODELS: Dict[str, Any] = {
    tables.PROCESS: models.Process,
    tables.STATE: models.State,
    tables.SCHEDULE: models.Schedule,
    tables.NODE: models.Node,
    tables.DATA: models.Data,
    tables.EXECUTION_DATA: models.ExecutionData,
    tables.CALLBACK_DATA: models.CallbackData,
    tables.CONTEXT_VALUE: models.ContextValue,
    tables.CONTEXT_OUTPUTS: models.ContextOutputs,
    tables.HISTORY: models.ExecutionHistory,
}


#: Tables with a unique key besides the id: an insert there may conflict with an existing row.
_MAY_CONFLICT = frozenset({tables.STATE, tables.SCHEDULE})


def _stored(table: str, values: Dict[str, Any]) -> Dict[str, Any]:
    if table == tables.PROCESS and "pipeline_stack" in values:
        return {**values, "pipeline_stack": json.dumps(values["pipeline_stack"])}
    return values


class StorageMixin(RuleStorage):
    """:class:`~bamboo_engine.eri.rules.storage.RuleStorage` on the ORM's connection."""

    memo: MessageMemo

    def _now(self) -> datetime.datetime:
        return timezone.now()

    def _insert_row(self, table: str, row: Dict[str, Any]) -> Optional[int]:
        row_id = _sql.insert(MODELS[table], _stored(table, row), may_conflict=table in _MAY_CONFLICT)
        if row_id is not None and table == tables.PROCESS:
            runtime_cache.keep_route(row_id, row["queue"], row["priority"])
        return row_id

    def _insert_rows(self, table: str, rows: List[Dict[str, Any]]) -> List[int]:
        if table != tables.PROCESS or not connection.features.can_return_rows_from_bulk_insert:
            # Backends without RETURNING on bulk inserts (MySQL): one by one, for the ids.
            return super()._insert_rows(table, rows)
        created = models.Process.objects.bulk_create([models.Process(**_stored(table, row)) for row in rows])
        for process, row in zip(created, rows, strict=True):
            runtime_cache.keep_route(process.pk, row["queue"], row["priority"])
        return [process.pk for process in created]

    def _update_rows(self, table: str, where: Dict[str, Any], changes: Dict[str, Any]) -> int:
        if table == tables.STATE:
            node_id = where.get("node_id")
            self.memo.forget_state(node_id if isinstance(node_id, str) else None)
        return _sql.update(MODELS[table], where, _stored(table, changes))

    def _transaction(self, recoverable: bool = False) -> ContextManager[Any]:
        return transaction.atomic(savepoint=recoverable)

    def _not_found(self, table: str, what: str, key: Any) -> NotFoundError:
        return not_found(MODELS[table], what, key)
