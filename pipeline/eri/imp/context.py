"""ContextMixin: context value rows under the shared context rules (``bamboo_engine.eri.rules.context``)."""

import json
from typing import Any, Dict, List, Optional, Sequence, Set

from bamboo_engine.eri.models.runtime import ContextValue
from bamboo_engine.eri.rules.context import ContextRow, ContextRules
from bamboo_engine.metrics import (
    ENGINE_RUNTIME_CONTEXT_REF_READ_TIME,
    ENGINE_RUNTIME_CONTEXT_VALUE_READ_TIME,
    ENGINE_RUNTIME_CONTEXT_VALUE_UPSERT_TIME,
    setup_histogram,
)
from pipeline.eri.imp import _sql
from pipeline.eri.imp._db import upsert
from pipeline.eri.imp.storage import StorageMixin
from pipeline.eri.models import ContextOutputs
from pipeline.eri.models import ContextValue as ContextValueModel

_FIELDS = ("key", "type", "value", "serializer", "code")
_COLUMNS = ("type", "value", "serializer", "code", "references")


def _row(values: Sequence[Any]) -> ContextRow:
    """A stored row ``(type, value, serializer, code)`` as the rules read it."""
    return dict(zip(_FIELDS[1:], values, strict=True))


def stored_references(references: List[str]) -> str:
    """How a row's reference list is stored (JSON text)."""
    return json.dumps(references)


class ContextMixin(StorageMixin, ContextRules):
    """Read and write context values (keys in ``${name}`` form)."""

    def _context_rows(self, pipeline_id: str) -> Dict[str, ContextRow]:
        rows = ContextValueModel.objects.filter(pipeline_id=pipeline_id).values_list("key", *_COLUMNS)
        return {
            key: {**_row(values[:-1]), "references": json.loads(values[-1] or "[]")} for key, *values in rows
        }

    def _write_context_rows(self, pipeline_id: str, rows: Dict[str, ContextRow]) -> None:
        stored = {
            key: {**row, "references": stored_references(row["references"])} for key, row in rows.items()
        }
        # Key order: concurrent branches writing overlapping keys lock them in the same order.
        ordered = [{"pipeline_id": pipeline_id, "key": key, **stored[key]} for key in sorted(stored)]
        if _sql.upsert_many(ContextValueModel, ("pipeline_id", "key"), ordered, _COLUMNS):
            return
        for key in sorted(stored):  # a backend without a one-statement upsert
            upsert(ContextValueModel, {"pipeline_id": pipeline_id, "key": key}, stored[key])

    def _context_outputs(self, pipeline_id: str) -> Optional[List[str]]:
        rows = _sql.select(ContextOutputs, ("outputs",), {"pipeline_id": pipeline_id}, limit=1)
        if not rows:
            return None
        return json.loads(rows[0][0] or "[]")

    @setup_histogram(ENGINE_RUNTIME_CONTEXT_VALUE_READ_TIME)
    def get_context_values(self, pipeline_id: str, keys: set) -> List[ContextValue]:
        rows = _sql.select(ContextValueModel, _FIELDS, {"pipeline_id": pipeline_id}, "key", sorted(keys))
        return [self._context_value(key, _row(values)) for key, *values in rows]

    @setup_histogram(ENGINE_RUNTIME_CONTEXT_REF_READ_TIME)
    def get_context_key_references(self, pipeline_id: str, keys: set) -> set:
        where = {"pipeline_id": pipeline_id}
        rows = _sql.select(ContextValueModel, ("references",), where, "key", sorted(keys))
        references: Set[str] = set()
        for (text,) in rows:
            references.update(json.loads(text or "[]"))
        return references

    @setup_histogram(ENGINE_RUNTIME_CONTEXT_VALUE_UPSERT_TIME)
    def upsert_plain_context_values(self, pipeline_id: str, update: Dict[str, ContextValue]):
        super().upsert_plain_context_values(pipeline_id, update)

    @setup_histogram(ENGINE_RUNTIME_CONTEXT_VALUE_READ_TIME)
    def get_context(self, pipeline_id: str) -> List[ContextValue]:
        rows = ContextValueModel.objects.filter(pipeline_id=pipeline_id).order_by("id")
        return [self._context_value(key, _row(values)) for key, *values in rows.values_list(*_FIELDS)]
