"""What every in-memory mixin can rely on: the store, the clock and the dispatcher."""

import datetime
from typing import Any

from bamboo_engine.exceptions import NotFoundError
from bamboo_engine.testing.dispatcher import Dispatcher
from bamboo_engine.testing.store import Store


class StoreBacked:
    """Attributes set by ``InMemoryRuntime.__init__``; declared here so each mixin type-checks alone."""

    _store: Store
    _clock: Any
    _dispatcher: Dispatcher

    def _now(self) -> datetime.datetime:
        return self._clock.now()

    def _dumps(self, value: Any):
        return self._store.codec.dumps(value)

    def _loads(self, text: str, serializer: str) -> Any:
        return self._store.codec.loads(text, serializer)


def not_found(what: str, key: Any) -> NotFoundError:
    """A uniform ``NotFoundError`` naming the missing row."""
    return NotFoundError(f"{what}({key}) does not exist")
