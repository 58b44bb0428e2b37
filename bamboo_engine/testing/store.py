"""The in-memory "database": plain records in dicts, guarded by one re-entrant lock.

Records mirror the Django runtime's tables so the ERI semantics match; every
read hands out a fresh ERI model object or a deserialised copy, never the stored object itself, so a
caller mutating what it read cannot change the store (as with a real database).
"""

import datetime
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from bamboo_engine import codec

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


class Store:
    """All tables of the runtime; hold :attr:`lock` while reading-modifying-writing several of them."""

    def __init__(self, allow_pickle: bool = False) -> None:
        self.lock = threading.RLock()
        self.codec = Codec(allow_pickle=allow_pickle)
        self.processes: Dict[int, ProcessRecord] = {}
        self.nodes: Dict[str, Any] = {}
        self.states: Dict[str, StateRecord] = {}
        self.schedules: Dict[int, ScheduleRecord] = {}
        self.data: Dict[str, Any] = {}
        self.execution_data: Dict[str, ExecutionDataRecord] = {}
        self.callback_data: Dict[int, CallbackDataRecord] = {}
        self.context_values: Dict[str, Dict[str, ContextValueRecord]] = {}
        self.context_outputs: Dict[str, List[str]] = {}
        self.histories: Dict[int, HistoryRecord] = {}
        self.node_snapshots: List[dict] = []
        self.pipeline_tokens: Dict[str, str] = {}
        self.rollback_requests: List[Tuple[str, str]] = []
        self._ids = {name: itertools.count(1) for name in ("process", "schedule", "callback", "history")}

    def snapshot_results(self) -> "ResultsSnapshot":
        """A copy of execution data and context values, cheap because writers replace records whole
        instead of mutating them (call with :attr:`lock` held)."""
        return dict(self.execution_data), {pid: dict(values) for pid, values in self.context_values.items()}

    def restore_results(self, saved: "ResultsSnapshot") -> None:
        """Put back what :meth:`snapshot_results` copied (call with :attr:`lock` held)."""
        self.execution_data, self.context_values = saved

    def next_id(self, table: str) -> int:
        """Auto-increment id of ``table`` (``process``, ``schedule``, ``callback`` or ``history``)."""
        with self.lock:
            return next(self._ids[table])
