"""What the shared rules ask of a runtime's storage, and the words of the writes they hand it.

A rule decides which rows change and under which condition; the runtime turns that into its own
operations: the Django runtime into one SQL statement (``pipeline/eri/imp/_sql.py``), the in-memory runtime
into a change of its records (``bamboo_engine/testing/store.py``). A condition (``where``) is a dict of
column equalities, all of them required, where a value may also be

* :class:`SameAs`: the column equals another column of the same row;
* :class:`In`: the column is one of the given values.

A change is a dict of column values, where a value may also be :class:`Increment` (``column + by``).

Tables are named by the constants below, so that the rules speak of rows without knowing a model.
"""

import abc
import datetime
from typing import Any, ContextManager, Dict, List, Optional, Sequence, Tuple

from bamboo_engine.exceptions import NotFoundError

PROCESS = "process"
STATE = "state"
SCHEDULE = "schedule"
NODE = "node"
DATA = "data"
EXECUTION_DATA = "execution_data"
CALLBACK_DATA = "callback_data"
CONTEXT_VALUE = "context_value"
CONTEXT_OUTPUTS = "context_outputs"
HISTORY = "history"


class Increment:
    """A change that adds ``by`` to what the row holds (``column = column + by``)."""

    __slots__ = ("by",)

    def __init__(self, by: int = 1) -> None:
        self.by = by

    def __repr__(self) -> str:
        return f"Increment({self.by})"


class SameAs:
    """A condition: the column holds the same value as ``column`` of the same row."""

    __slots__ = ("column",)

    def __init__(self, column: str) -> None:
        self.column = column

    def __repr__(self) -> str:
        return f"SameAs({self.column!r})"


class In:
    """A condition: the column holds one of ``values`` (none given: no row matches)."""

    __slots__ = ("values",)

    def __init__(self, values: Sequence[Any]) -> None:
        self.values = tuple(values)

    def __repr__(self) -> str:
        return f"In({list(self.values)!r})"


def id_of(value: Any) -> Optional[int]:
    """The integer id a caller means (ids travel in messages and API calls as text too), or None."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def applied(row: Dict[str, Any], changes: Dict[str, Any]) -> Dict[str, Any]:
    """``row`` as ``changes`` leave it, each :class:`Increment` added to the value in ``row``."""
    result = {**row, **changes}
    for name, value in changes.items():
        if isinstance(value, Increment):
            result[name] = row[name] + value.by
    return result


class RuleStorage(abc.ABC):
    """The storage operations every rule mixin of :mod:`bamboo_engine.eri.rules` builds on.

    A runtime implements these once; each concern's rules add the few reads of that concern.
    """

    @abc.abstractmethod
    def _now(self) -> datetime.datetime:
        """The time stamps written now (the runtime's clock)."""

    @abc.abstractmethod
    def _insert_row(self, table: str, row: Dict[str, Any]) -> Optional[int]:
        """Insert ``row``; its new id (tables keyed by a column of the row: any int), or None when a row
        with the same unique key exists (then nothing is written)."""

    def _insert_new_row(self, table: str, row: Dict[str, Any]) -> int:
        """Insert a row of a table whose only unique key is the id it generates; that id."""
        row_id = self._insert_row(table, row)
        if row_id is None:
            raise ValueError(f"a {table} row conflicts with an existing one: {row}")
        return row_id

    def _insert_rows(self, table: str, rows: List[Dict[str, Any]]) -> List[int]:
        """:meth:`_insert_new_row` of each row (call inside :meth:`_transaction`); their ids."""
        return [self._insert_new_row(table, row) for row in rows]

    @abc.abstractmethod
    def _update_rows(self, table: str, where: Dict[str, Any], changes: Dict[str, Any]) -> int:
        """Apply ``changes`` to every row matching ``where``; the number of rows matched."""

    @abc.abstractmethod
    def _transaction(self, recoverable: bool = False) -> ContextManager[Any]:
        """A block whose writes take effect together or not at all.

        Args:
            recoverable: a caller that catches an error of the block goes on using the enclosing
                transaction (a savepoint, for the Django runtime). Inside the engine's own units this is
                not needed: any error there aborts the unit.
        """

    @abc.abstractmethod
    def _not_found(self, table: str, what: str, key: Any) -> NotFoundError:
        """The runtime's error for a missing row of ``table`` (the message names ``what`` and ``key``)."""

    @abc.abstractmethod
    def _serialize(self, value: Any) -> Tuple[str, str]:
        """``(text, serializer name)`` of a stored value (:mod:`bamboo_engine.codec`)."""

    @abc.abstractmethod
    def _deserialize(self, text: str, serializer: str) -> Any:
        """The value back from :meth:`_serialize`'s text."""

    def _write_row(self, table: str, key: Dict[str, Any], changes: Dict[str, Any], what: str) -> None:
        """Change the one row ``key`` names.

        Raises:
            NotFoundError: there is no such row (writing to a row that is gone is a caller's error, and
                silently doing nothing would hide it).
        """
        if not self._update_rows(table, key, changes):
            raise self._not_found(table, what, next(iter(key.values())))
