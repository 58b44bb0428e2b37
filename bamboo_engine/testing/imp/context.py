"""ContextMixin: context value records under the shared context rules
(:mod:`bamboo_engine.eri.rules.context`)."""

from typing import Dict, Iterable, List, Optional, Set

from bamboo_engine.eri.models.runtime import ContextValue
from bamboo_engine.eri.rules.context import ContextRow, ContextRules
from bamboo_engine.testing.imp.base import StoreBacked
from bamboo_engine.testing.store import ContextValueRecord

_COLUMNS = ("type", "value", "serializer", "code")


class ContextMixin(StoreBacked, ContextRules):
    def _records(self, pipeline_id: str) -> Dict[str, ContextValueRecord]:
        return self._store.context_values.get(pipeline_id, {})

    def _context_rows(self, pipeline_id: str) -> Dict[str, ContextRow]:
        with self._store.lock:
            return {
                key: {**{c: getattr(r, c) for c in _COLUMNS}, "references": list(r.references)}
                for key, r in self._records(pipeline_id).items()
            }

    def _write_context_rows(self, pipeline_id: str, rows: Dict[str, ContextRow]) -> None:
        with self._store.lock:
            # New records, never changed ones: Store.snapshot_results copies the dicts, not the records.
            records = self._store.context_values.setdefault(pipeline_id, {})
            for key, row in rows.items():
                records[key] = ContextValueRecord(pipeline_id=pipeline_id, key=key, **row)

    def _context_outputs(self, pipeline_id: str) -> Optional[List[str]]:
        with self._store.lock:
            return self._store.context_outputs.get(pipeline_id)

    def save_context_value(self, pipeline_id: str, value: ContextValue, references: Iterable[str]) -> None:
        """Create or replace one context value with its references (for tests)."""
        self._write_context_rows(pipeline_id, {value.key: self._context_row(value, references)})

    def get_context_values(self, pipeline_id: str, keys: set) -> List[ContextValue]:
        with self._store.lock:
            records = self._records(pipeline_id)
            return [self._context_value(key, vars(records[key])) for key in keys if key in records]

    def get_context_key_references(self, pipeline_id: str, keys: set) -> set:
        with self._store.lock:
            records = self._records(pipeline_id)
            references: Set[str] = set()
            for key in keys:
                if key in records:
                    references.update(records[key].references)
            return references

    def get_context(self, pipeline_id: str) -> List[ContextValue]:
        with self._store.lock:
            return [self._context_value(key, vars(r)) for key, r in self._records(pipeline_id).items()]
