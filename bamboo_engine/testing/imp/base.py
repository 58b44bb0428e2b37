"""What every in-memory mixin relies on: the store, the clock, the dispatcher, and the storage operations
the shared rules (:mod:`bamboo_engine.eri.rules`) ask of a runtime."""

import datetime
from typing import Any, ContextManager, Dict, Optional, Tuple

from bamboo_engine.eri.rules.storage import RuleStorage
from bamboo_engine.exceptions import NotFoundError
from bamboo_engine.testing.dispatcher import Dispatcher
from bamboo_engine.testing.store import Store


class StoreBacked(RuleStorage):
    """Attributes set by ``InMemoryRuntime.__init__`` (declared here so each mixin type-checks alone) and
    :class:`~bamboo_engine.eri.rules.storage.RuleStorage` on the :class:`Store`."""

    _store: Store
    _clock: Any
    _dispatcher: Dispatcher

    def _now(self) -> datetime.datetime:
        return self._clock.now()

    def _insert_row(self, table: str, row: Dict[str, Any]) -> Optional[int]:
        return self._store.insert(table, row)

    def _update_rows(self, table: str, where: Dict[str, Any], changes: Dict[str, Any]) -> int:
        return self._store.update(table, where, changes)

    def _transaction(self, recoverable: bool = False) -> ContextManager[Any]:
        return self._store.transaction()

    def _not_found(self, table: str, what: str, key: Any) -> NotFoundError:
        return not_found(what, key)

    def _serialize(self, value: Any) -> Tuple[str, str]:
        return self._store.codec.dumps(value)

    def _deserialize(self, text: str, serializer: str) -> Any:
        return self._store.codec.loads(text, serializer)


def not_found(what: str, key: Any) -> NotFoundError:
    """A uniform ``NotFoundError`` naming the missing row."""
    return NotFoundError(f"{what}({key}) does not exist")
