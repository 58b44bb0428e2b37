"""Context rules: how a context value is stored, and the writers of a pipeline's context.

A stored context value is a row ``{type, value, serializer, code, references}``: the value as
:mod:`bamboo_engine.codec` text with its serializer name, and ``references``, the sorted transitive
closure of the keys it refers to (what template rendering needs loaded with it). Writers keep the closure
right: ``update_context_values`` recomputes it for the whole pipeline, a plain value refers to nothing.
"""

import abc
from typing import Any, Dict, Iterable, List, Optional, Set

from bamboo_engine.eri.interfaces.context import ContextMixin
from bamboo_engine.eri.models.runtime import ContextValue, ContextValueType
from bamboo_engine.eri.rules.storage import CONTEXT_OUTPUTS, CONTEXT_VALUE, RuleStorage
from bamboo_engine.prepare import reference_closure

ContextRow = Dict[str, Any]


class ContextRules(ContextMixin, RuleStorage):
    """The writers of :class:`~bamboo_engine.eri.interfaces.ContextMixin` on a runtime's storage.

    A runtime supplies :meth:`_context_rows`, :meth:`_write_context_rows` and :meth:`_context_outputs`.
    """

    @abc.abstractmethod
    def _context_rows(self, pipeline_id: str) -> Dict[str, ContextRow]:
        """Every stored row of the pipeline, by key (``references`` as a list)."""

    @abc.abstractmethod
    def _write_context_rows(self, pipeline_id: str, rows: Dict[str, ContextRow]) -> None:
        """Create or replace the rows of these keys (other keys of the pipeline stay as they are)."""

    @abc.abstractmethod
    def _context_outputs(self, pipeline_id: str) -> Optional[List[str]]:
        """The pipeline's output keys as prepared, or None when the pipeline has none stored."""

    def _context_row(self, value: ContextValue, references: Iterable[str]) -> ContextRow:
        """The stored form of ``value`` with its reference closure."""
        text, serializer = self._serialize(value.value)
        return {
            "type": ContextValueType(value.type).value,
            "value": text,
            "serializer": serializer,
            "code": value.code or "",
            "references": sorted(references),
        }

    def _context_value(self, key: str, row: ContextRow) -> ContextValue:
        return ContextValue(
            key=key,
            type=ContextValueType(row["type"]),
            value=self._deserialize(row["value"], row["serializer"]),
            code=row["code"],
        )

    def update_context_values(self, pipeline_id: str, context_values: List[ContextValue]) -> None:
        """Rewrite type, value and code of existing keys, then the references of the whole pipeline.

        Raises:
            NotFoundError: a key is not in the pipeline's context (nothing is written).
        """
        with self._transaction(recoverable=True):
            rows = self._context_rows(pipeline_id)
            missing = [cv.key for cv in context_values if cv.key not in rows]
            if missing:
                raise self._not_found(CONTEXT_VALUE, f"context keys of pipeline({pipeline_id})", missing)
            values = {key: self._context_value(key, row) for key, row in rows.items()}
            values.update((cv.key, cv) for cv in context_values)
            closure = reference_closure(list(values.values()))
            self._write_context_rows(
                pipeline_id,
                {key: self._context_row(value, closure.get(key, ())) for key, value in values.items()},
            )

    def upsert_plain_context_values(self, pipeline_id: str, update: Dict[str, ContextValue]) -> None:
        """Create or overwrite values as PLAIN: no compute code, no references (as upstream)."""
        if not update:
            return
        rows = {
            key: self._context_row(ContextValue(key=key, type=ContextValueType.PLAIN, value=cv.value), ())
            for key, cv in update.items()
        }
        self._write_context_rows(pipeline_id, rows)

    def copy_context_values_to_new_pipeline(
        self, from_pipeline_id: str, to_pipeline_id: str, exclude_keys: Set[str] = None
    ) -> None:
        """Copy the stored rows as they are; entering a SubCanvas again replaces the earlier copy."""
        exclude = set(exclude_keys or ())
        rows = {key: row for key, row in self._context_rows(from_pipeline_id).items() if key not in exclude}
        if rows:
            self._write_context_rows(to_pipeline_id, rows)

    def get_context_outputs(self, pipeline_id: str) -> Set[str]:
        outputs = self._context_outputs(pipeline_id)
        if outputs is None:
            raise self._not_found(CONTEXT_OUTPUTS, "context outputs of pipeline", pipeline_id)
        return set(outputs)
