"""The in-memory "database": plain records in dicts, guarded by one re-entrant lock.

Records mirror the Django runtime's tables (same columns, same unique keys), and the shared rules of
``bamboo_engine.eri.rules`` write them through :meth:`Store.insert` and :meth:`Store.update`, as the Django
runtime writes rows. Every read hands out a fresh ERI model object or a deserialised copy, never the stored
object itself, so a caller mutating what it read cannot change the store (as with a real database).
"""

import contextlib
import datetime
import functools
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from bamboo_engine import codec
from bamboo_engine.eri.rules.storage import (
    CALLBACK_DATA,
    HISTORY,
    PROCESS,
    SCHEDULE,
    STATE,
    In,
    Increment,
    SameAs,
)

JSON_SERIALIZER = codec.JSON_SERIALIZER
PICKLE_SERIALIZER = codec.PICKLE_SERIALIZER


@dataclass
class ProcessRecord:
    id: int
    root_pipeline_id: str
    pipeline_stack: List[str]
    parent_id: int = -1
    ack_num: int = 0
    need_ack: int = -1
    asleep: bool = True
    suspended: bool = False
    frozen: bool = False
    dead: bool = False
    last_heartbeat: Optional[datetime.datetime] = None
    destination_id: str = ""
    current_node_id: str = ""
    suspended_by: str = ""
    priority: int = 100
    queue: str = ""


@dataclass
class StateRecord:
    node_id: str
    name: str
    version: str
    root_id: str = ""
    parent_id: str = ""
    loop: int = 1
    inner_loop: int = 1
    retry: int = 0
    skip: bool = False
    error_ignored: bool = False
    created_time: Optional[datetime.datetime] = None
    started_time: Optional[datetime.datetime] = None
    archived_time: Optional[datetime.datetime] = None


@dataclass
class ScheduleRecord:
    id: int
    type: int
    process_id: int
    node_id: str
    version: str
    finished: bool = False
    expired: bool = False
    scheduling: bool = False
    schedule_times: int = 0


@dataclass
class ContextValueRecord:
    pipeline_id: str
    key: str
    type: int
    value: str
    serializer: str
    code: str = ""
    references: List[str] = field(default_factory=list)


@dataclass
class ExecutionDataRecord:
    inputs: str = "{}"
    inputs_serializer: str = JSON_SERIALIZER
    outputs: str = "{}"
    outputs_serializer: str = JSON_SERIALIZER


@dataclass
class CallbackDataRecord:
    id: int
    node_id: str
    version: str
    data: str
    serializer: str = JSON_SERIALIZER


@dataclass
class HistoryRecord:
    id: int
    node_id: str
    started_time: Optional[datetime.datetime]
    archived_time: Optional[datetime.datetime]
    loop: int
    skip: bool
    retry: int
    version: str
    inputs: str
    inputs_serializer: str
    outputs: str
    outputs_serializer: str


class Codec:
    """The shared value encoding (:mod:`bamboo_engine.codec`) with this runtime's pickle opt-in."""

    PICKLE_HINT = "pass allow_pickle=True to the runtime to store it with pickle"
    UNPICKLE_HINT = "the runtime was created with allow_pickle=False"

    def __init__(self, allow_pickle: bool = False) -> None:
        self.allow_pickle = allow_pickle

    def dumps(self, value: Any) -> Tuple[str, str]:
        """Return ``(text, serializer_name)`` for ``value``.

        Raises:
            UnstorableValueError: the value cannot be stored (pickle off, or pickle fails too).
        """
        return codec.dumps(value, self.allow_pickle, self.PICKLE_HINT)

    def loads(self, text: str, serializer: str) -> Any:
        """Inverse of :meth:`dumps`; refuses pickle unless it was enabled."""
        return codec.loads(text, serializer, self.allow_pickle, self.UNPICKLE_HINT)


# (execution data by node, context values by pipeline and key)
ResultsSnapshot = Tuple[Dict[str, ExecutionDataRecord], Dict[str, Dict[str, ContextValueRecord]]]

# Logical table (bamboo_engine.eri.rules.storage) -> (Store attribute, record class, key column).
_TABLES: Dict[str, Tuple[str, type, str]] = {
    PROCESS: ("processes", ProcessRecord, "id"),
    STATE: ("states", StateRecord, "node_id"),
    SCHEDULE: ("schedules", ScheduleRecord, "id"),
    CALLBACK_DATA: ("callback_data", CallbackDataRecord, "id"),
    HISTORY: ("histories", HistoryRecord, "id"),
}
# Unique keys besides the key column (the Django tables' unique constraints).
_UNIQUE: Dict[str, Tuple[str, ...]] = {SCHEDULE: ("node_id", "version")}


class Store:
    """All tables of the runtime; hold :attr:`lock` while reading-modifying-writing several of them.

    The tables the shared rules write (:data:`_TABLES`) are changed through :meth:`insert` and
    :meth:`update`, which a :meth:`transaction` can undo.
    """

    def __init__(self, allow_pickle: bool = False) -> None:
        self.lock = threading.RLock()
        self.codec = Codec(allow_pickle=allow_pickle)
        self.processes: Dict[int, ProcessRecord] = {}
        self.nodes: Dict[str, Dict[str, Any]] = {}
        self.states: Dict[str, StateRecord] = {}
        self.schedules: Dict[int, ScheduleRecord] = {}
        self.data: Dict[str, Any] = {}
        self.execution_data: Dict[str, ExecutionDataRecord] = {}
        self.callback_data: Dict[int, CallbackDataRecord] = {}
        self.context_values: Dict[str, Dict[str, ContextValueRecord]] = {}
        self.context_outputs: Dict[str, List[str]] = {}
        self.histories: Dict[int, HistoryRecord] = {}
        # Rollback records (bamboo_engine.testing.imp.rollback), as the Django runtime's rollback models.
        self.rollback_tokens: Dict[str, Dict[str, str]] = {}
        self.node_snapshots: Dict[int, Dict[str, Any]] = {}
        self.rollback_records: Dict[int, Any] = {}
        self.reservations: Dict[int, Any] = {}
        self.rollback_ids = itertools.count(1)
        self._ids = {table: itertools.count(1) for table in _TABLES}
        self._unique: Dict[str, Dict[tuple, Any]] = {table: {} for table in _UNIQUE}
        self._undo: Optional[List[Callable[[], None]]] = None
        self._on_commit: List[Callable[[], Any]] = []

    def snapshot_results(self) -> "ResultsSnapshot":
        """A copy of execution data and context values, cheap because writers replace records whole
        instead of mutating them (call with :attr:`lock` held)."""
        return dict(self.execution_data), {pid: dict(values) for pid, values in self.context_values.items()}

    def restore_results(self, saved: "ResultsSnapshot") -> None:
        """Put back what :meth:`snapshot_results` copied (call with :attr:`lock` held)."""
        self.execution_data, self.context_values = saved

    # -- rows of the shared rules --------------------------------------------------------------

    def insert(self, table: str, row: Dict[str, Any]) -> Optional[int]:
        """Add a record; its id, or None when a record with the same unique key exists."""
        name, record_cls, key_column = _TABLES[table]
        records = getattr(self, name)
        with self.lock:
            unique = self._unique_key(table, row)
            if unique is not None and unique in self._unique[table]:
                return None
            row_id = next(self._ids[table])
            if key_column == "id":
                key, record = row_id, record_cls(id=row_id, **row)
            else:
                key, record = row[key_column], record_cls(**row)
                if key in records:
                    return None
            records[key] = record
            if unique is not None:
                self._unique[table][unique] = key
            self._remember_undo(lambda: self._drop(table, key, unique))
            return row_id

    def update(self, table: str, where: Dict[str, Any], changes: Dict[str, Any]) -> int:
        """Apply ``changes`` to the records matching ``where``; how many matched."""
        with self.lock:
            matched = self.matching(table, where)
            for record in matched:
                if self._undo is not None:
                    self._undo.append(
                        functools.partial(_assign, record, {n: getattr(record, n) for n in changes})
                    )
                for name, value in changes.items():
                    if isinstance(value, Increment):
                        value = getattr(record, name) + value.by
                    setattr(record, name, value)
            return len(matched)

    def matching(self, table: str, where: Dict[str, Any]) -> List[Any]:
        """The records of ``table`` matching ``where`` (see ``bamboo_engine.eri.rules.storage``)."""
        name, _, key_column = _TABLES[table]
        records = getattr(self, name)
        with self.lock:
            wanted = where.get(key_column, _ANY)
            if wanted is _ANY:
                candidates, conditions = list(records.values()), list(where.items())
            else:
                keys = wanted.values if isinstance(wanted, In) else (wanted,)
                candidates = [records.get(_key(key, key_column)) for key in keys]
                conditions = [(column, value) for column, value in where.items() if column != key_column]
            if not conditions:
                return [r for r in candidates if r is not None]
            return [r for r in candidates if r is not None and all(_holds(r, c, v) for c, v in conditions)]

    def delete(self, table: str, where: Dict[str, Any]) -> int:
        """Remove the records matching ``where``; how many matched."""
        name, _, key_column = _TABLES[table]
        with self.lock:
            matched = self.matching(table, where)
            for record in matched:
                key = getattr(record, key_column)
                unique = self._unique_key(table, vars(record))
                self._drop(table, key, unique)
                self._remember_undo(functools.partial(self._put_back, table, key, record, unique))
            return len(matched)

    def _put_back(self, table: str, key: Any, record: Any, unique: Optional[tuple]) -> None:
        getattr(self, _TABLES[table][0])[key] = record
        if unique is not None:
            self._unique[table][unique] = key

    def on_undo(self, undo: Callable[[], None]) -> None:
        """Run ``undo`` if the current transaction fails (for writes outside :meth:`insert`/:meth:`update`;
        nothing outside a transaction)."""
        with self.lock:
            self._remember_undo(undo)

    def find_unique(self, table: str, values: Tuple[Any, ...]) -> Optional[Any]:
        """The record whose unique key (:data:`_UNIQUE`) is ``values``, or None."""
        name = _TABLES[table][0]
        with self.lock:
            key = self._unique[table].get(values)
            return getattr(self, name).get(key) if key is not None else None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock; if the block raises, undo its :meth:`insert` / :meth:`update` calls and drop
        what it deferred with :meth:`on_commit`. A nested block is part of the outermost one."""
        with self.lock:
            if self._undo is not None:
                yield
                return
            self._undo, self._on_commit = [], []
            try:
                yield
            except BaseException:
                for undo in reversed(self._undo):
                    undo()
                self._on_commit = []
                raise
            finally:
                self._undo = None
                deferred, self._on_commit = self._on_commit, []
            for action in deferred:
                action()

    def on_commit(self, action: Callable[[], Any]) -> None:
        """Run ``action`` once the current transaction completed (now, outside a transaction)."""
        with self.lock:
            if self._undo is not None:
                self._on_commit.append(action)
                return
        action()

    def _unique_key(self, table: str, row: Dict[str, Any]) -> Optional[tuple]:
        columns = _UNIQUE.get(table)
        return tuple(row[column] for column in columns) if columns else None

    def _drop(self, table: str, key: Any, unique: Optional[tuple]) -> None:
        getattr(self, _TABLES[table][0]).pop(key, None)
        if unique is not None:
            self._unique[table].pop(unique, None)

    def _remember_undo(self, undo: Callable[[], None]) -> None:
        if self._undo is not None:
            self._undo.append(undo)


_ANY = object()


def _key(value: Any, key_column: str) -> Any:
    """Ids arrive as text too (messages, API calls): the key they mean, or None."""
    if key_column != "id" or type(value) is int:
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _holds(record: Any, column: str, condition: Any) -> bool:
    value = getattr(record, column)
    if isinstance(condition, SameAs):
        return value == getattr(record, condition.column)
    if isinstance(condition, In):
        return value in condition.values
    return value == condition


def _assign(record: Any, values: Dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(record, name, value)
