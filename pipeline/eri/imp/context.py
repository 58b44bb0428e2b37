"""ContextMixin: context values of each (sub)pipeline, with their stored transitive references."""

import json
from typing import Dict, Iterable, List, Set

from django.db import transaction

from bamboo_engine.eri.models.runtime import ContextValue, ContextValueType
from bamboo_engine.metrics import (
    ENGINE_RUNTIME_CONTEXT_REF_READ_TIME,
    ENGINE_RUNTIME_CONTEXT_VALUE_READ_TIME,
    ENGINE_RUNTIME_CONTEXT_VALUE_UPSERT_TIME,
    setup_histogram,
)
from bamboo_engine.prepare import reference_closure
from pipeline.eri.imp import _sql
from pipeline.eri.imp._db import not_found, upsert
from pipeline.eri.models import ContextOutputs
from pipeline.eri.models import ContextValue as ContextValueModel

_FIELDS = ("key", "type", "value", "serializer", "code")
_UPSERT_COLUMNS = ("type", "value", "serializer", "code", "references")


class ContextMixin:
    """Read and write context values (keys in ``${name}`` form)."""

    def _to_context_value(
        self, key: str, cv_type: int, value: str, serializer: str, code: str
    ) -> ContextValue:
        return ContextValue(
            key=key,
            type=ContextValueType(cv_type),
            value=self._deserialize(value, serializer),  # type: ignore[attr-defined]
            code=code,
        )

    def _context_rows(self, pipeline_id: str, cv_type: int, value: ContextValue, references: Iterable[str]):
        text, serializer = self._serialize(value.value)  # type: ignore[attr-defined]
        return {
            "type": cv_type,
            "value": text,
            "serializer": serializer,
            "code": value.code or "",
            "references": json.dumps(sorted(references)),
        }

    @setup_histogram(ENGINE_RUNTIME_CONTEXT_VALUE_READ_TIME)
    def get_context_values(self, pipeline_id: str, keys: set) -> List[ContextValue]:
        rows = _sql.select(ContextValueModel, _FIELDS, {"pipeline_id": pipeline_id}, "key", sorted(keys))
        return [self._to_context_value(*row) for row in rows]

    @setup_histogram(ENGINE_RUNTIME_CONTEXT_REF_READ_TIME)
    def get_context_key_references(self, pipeline_id: str, keys: set) -> set:
        where = {"pipeline_id": pipeline_id}
        rows = _sql.select(ContextValueModel, ("references",), where, "key", sorted(keys))
        references: Set[str] = set()
        for (text,) in rows:
            references.update(json.loads(text or "[]"))
        return references

    def update_context_values(self, pipeline_id: str, context_values: List[ContextValue]):
        """Rewrite type/value/code of existing keys, then recompute the pipeline's references."""
        with transaction.atomic():
            rows = {row.key: row for row in ContextValueModel.objects.filter(pipeline_id=pipeline_id)}
            missing = [cv.key for cv in context_values if cv.key not in rows]
            if missing:
                raise not_found(ContextValueModel, f"context keys of pipeline({pipeline_id})", missing)
            values = {
                key: self._to_context_value(*(getattr(row, f) for f in _FIELDS)) for key, row in rows.items()
            }
            for cv in context_values:
                values[cv.key] = cv
            closure = reference_closure(list(values.values()))
            for key, row in rows.items():
                cv = values[key]
                fields = self._context_rows(
                    pipeline_id, ContextValueType(cv.type).value, cv, closure.get(key, ())
                )
                for name, value in fields.items():
                    setattr(row, name, value)
            ContextValueModel.objects.bulk_update(
                list(rows.values()), ["type", "value", "serializer", "code", "references"]
            )

    @setup_histogram(ENGINE_RUNTIME_CONTEXT_VALUE_UPSERT_TIME)
    def upsert_plain_context_values(self, pipeline_id: str, update: Dict[str, ContextValue]):
        """Create or overwrite values as PLAIN, all keys in one statement."""
        if not update:
            return
        rows = {
            key: self._context_rows(pipeline_id, ContextValueType.PLAIN.value, cv, ())
            for key, cv in update.items()
        }
        # Key order: concurrent branches writing overlapping keys lock them in the same order.
        ordered = [{"pipeline_id": pipeline_id, "key": key, **rows[key]} for key in sorted(rows)]
        if _sql.upsert_many(ContextValueModel, ("pipeline_id", "key"), ordered, _UPSERT_COLUMNS):
            return
        for key in sorted(rows):  # a backend without a one-statement upsert
            upsert(ContextValueModel, {"pipeline_id": pipeline_id, "key": key}, rows[key])

    @setup_histogram(ENGINE_RUNTIME_CONTEXT_VALUE_READ_TIME)
    def get_context(self, pipeline_id: str) -> List[ContextValue]:
        rows = ContextValueModel.objects.filter(pipeline_id=pipeline_id).order_by("id")
        return [self._to_context_value(*row) for row in rows.values_list(*_FIELDS)]

    def get_context_outputs(self, pipeline_id: str) -> Set[str]:
        text = (
            ContextOutputs.objects.filter(pipeline_id=pipeline_id).values_list("outputs", flat=True).first()
        )
        if text is None:
            raise not_found(ContextOutputs, "context outputs of pipeline", pipeline_id)
        return set(json.loads(text or "[]"))

    def copy_context_values_to_new_pipeline(
        self, from_pipeline_id: str, to_pipeline_id: str, exclude_keys: Set[str] = None
    ):
        exclude = set(exclude_keys or ())
        rows = ContextValueModel.objects.filter(pipeline_id=from_pipeline_id).exclude(key__in=list(exclude))
        copies = [
            ContextValueModel(
                pipeline_id=to_pipeline_id,
                key=row.key,
                type=row.type,
                serializer=row.serializer,
                code=row.code,
                value=row.value,
                references=row.references,
            )
            for row in rows.order_by("id")
        ]
        with transaction.atomic():
            # Entering a SubCanvas again replaces the copy made the first time.
            ContextValueModel.objects.filter(
                pipeline_id=to_pipeline_id, key__in=[c.key for c in copies]
            ).delete()
            ContextValueModel.objects.bulk_create(copies)
