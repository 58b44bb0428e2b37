"""ContextMixin: per-pipeline context values with their stored transitive references."""

from typing import Dict, List, Set

from bamboo_engine.eri.models.runtime import ContextValue, ContextValueType
from bamboo_engine.prepare import reference_closure
from bamboo_engine.testing.imp.base import StoreBacked, not_found
from bamboo_engine.testing.store import ContextValueRecord


class ContextMixin(StoreBacked):
    def _context(self, pipeline_id: str) -> Dict[str, ContextValueRecord]:
        return self._store.context_values.setdefault(pipeline_id, {})

    def _to_context_value(self, record: ContextValueRecord) -> ContextValue:
        return ContextValue(
            key=record.key,
            type=ContextValueType(record.type),
            value=self._loads(record.value, record.serializer),
            code=record.code,
        )

    def save_context_value(self, pipeline_id: str, value: ContextValue, references: Set[str]) -> None:
        """Create or replace one context value row (used by prepare and the ERI writers)."""
        text, serializer = self._dumps(value.value)
        with self._store.lock:
            self._context(pipeline_id)[value.key] = ContextValueRecord(
                pipeline_id=pipeline_id,
                key=value.key,
                type=ContextValueType(value.type).value,
                value=text,
                serializer=serializer,
                code=value.code or "",
                references=sorted(references),
            )

    def get_context_values(self, pipeline_id: str, keys: set) -> List[ContextValue]:
        with self._store.lock:
            context = self._context(pipeline_id)
            return [self._to_context_value(context[k]) for k in keys if k in context]

    def get_context_key_references(self, pipeline_id: str, keys: set) -> set:
        with self._store.lock:
            context = self._context(pipeline_id)
            references: Set[str] = set()
            for key in keys:
                if key in context:
                    references.update(context[key].references)
            return references

    def update_context_values(self, pipeline_id: str, context_values: List[ContextValue]):
        with self._store.lock:
            context = self._context(pipeline_id)
            missing = [cv.key for cv in context_values if cv.key not in context]
            if missing:
                raise not_found(f"context keys of pipeline({pipeline_id})", missing)
            for cv in context_values:
                self.save_context_value(pipeline_id, cv, set())
            self._recompute_references(pipeline_id)

    def _recompute_references(self, pipeline_id: str) -> None:
        values = self.get_context(pipeline_id)
        closure = reference_closure(values)
        with self._store.lock:
            for key, record in self._context(pipeline_id).items():
                record.references = sorted(closure.get(key, set()))

    def upsert_plain_context_values(self, pipeline_id: str, update: Dict[str, ContextValue]):
        with self._store.lock:
            for key, cv in update.items():
                plain = ContextValue(key=key, type=ContextValueType.PLAIN, value=cv.value, code=None)
                self.save_context_value(pipeline_id, plain, set())

    def get_context(self, pipeline_id: str) -> List[ContextValue]:
        with self._store.lock:
            return [self._to_context_value(r) for r in self._context(pipeline_id).values()]

    def get_context_outputs(self, pipeline_id: str) -> Set[str]:
        with self._store.lock:
            outputs = self._store.context_outputs.get(pipeline_id)
        if outputs is None:
            raise not_found("context outputs of pipeline", pipeline_id)
        return set(outputs)

    def copy_context_values_to_new_pipeline(
        self, from_pipeline_id: str, to_pipeline_id: str, exclude_keys: Set[str] = None
    ):
        exclude = exclude_keys or set()
        with self._store.lock:
            target = self._context(to_pipeline_id)
            for key, record in list(self._context(from_pipeline_id).items()):
                if key in exclude:
                    continue
                target[key] = ContextValueRecord(
                    pipeline_id=to_pipeline_id,
                    key=key,
                    type=record.type,
                    value=record.value,
                    serializer=record.serializer,
                    code=record.code,
                    references=list(record.references),
                )
