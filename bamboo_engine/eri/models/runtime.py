"""Runtime records: states, schedules, node data, execution data, processes and context values."""

import datetime
from dataclasses import dataclass
from enum import Enum
from typing import Any, Dict, List, Optional

from bamboo_engine.utils.collections import FancyDict
from bamboo_engine.utils.object import Representable


class ScheduleType(Enum):
    """How a scheduled ServiceActivity is woken up."""

    CALLBACK = 1
    MULTIPLE_CALLBACK = 2
    POLL = 3


@dataclass
class Schedule(Representable):
    """The schedule of one node version (unique per ``(node_id, version)``)."""

    id: int
    type: ScheduleType
    process_id: int
    node_id: str
    finished: bool
    expired: bool
    version: str
    times: int


@dataclass
class State(Representable):
    """The state row of a node or (sub)pipeline; see ``bamboo_engine.states`` for ``name`` values."""

    node_id: str
    root_id: str
    parent_id: str
    name: str
    version: str
    loop: int
    inner_loop: int
    retry: int
    skip: bool
    error_ignored: bool
    created_time: datetime.datetime
    started_time: datetime.datetime
    archived_time: datetime.datetime


@dataclass(frozen=True)
class DataInput(Representable):
    """One input of a node; ``need_render`` inputs are templates rendered against the context."""

    need_render: bool
    value: Any


@dataclass
class Data(Representable):
    """A node's declared inputs and its output mapping ``{output_key: context_key}``."""

    inputs: Dict[str, DataInput]
    outputs: Dict[str, str]

    def plain_inputs(self) -> Dict[str, Any]:
        """``{key: value}`` of the inputs used as they are (``need_render=False``)."""
        return {key: di.value for key, di in self.inputs.items() if not di.need_render}

    def need_render_inputs(self) -> Dict[str, Any]:
        """``{key: value}`` of the template inputs (``need_render=True``)."""
        return {key: di.value for key, di in self.inputs.items() if di.need_render}

    def render_escape_inputs(self) -> Dict[str, Any]:
        """``{key: value}`` of the inputs that escape rendering (the same set as :meth:`plain_inputs`)."""
        return self.plain_inputs()


class ExecutionData(Representable):
    """Inputs and outputs of one execution of a node, both :class:`FancyDict` (attribute access).

    A plain class rather than a dataclass: the published signature takes ``Optional[dict]`` while the
    attributes are always FancyDicts (None becomes an empty one).
    """

    inputs: FancyDict
    outputs: FancyDict

    def __init__(self, inputs: Optional[dict], outputs: Optional[dict]):
        self.inputs = FancyDict(inputs or {})
        self.outputs = FancyDict(outputs or {})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ExecutionData):
            return NotImplemented
        return self.inputs == other.inputs and self.outputs == other.outputs

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class ExecutionHistory(Representable):
    """An archived execution of a node (written when the node is re-entered or retried)."""

    id: str
    node_id: str
    started_time: datetime.datetime
    archived_time: datetime.datetime
    loop: int
    skip: bool
    retry: int
    version: str
    inputs: dict
    outputs: dict


@dataclass(frozen=True)
class ExecutionShortHistory(Representable):
    """An :class:`ExecutionHistory` without inputs and outputs."""

    id: str
    node_id: str
    started_time: datetime.datetime
    archived_time: datetime.datetime
    loop: int
    skip: bool
    retry: int
    version: str


@dataclass(frozen=True)
class CallbackData(Representable):
    """Data sent by ``api.callback`` to the schedule of ``(node_id, version)``."""

    id: int
    node_id: str
    version: str
    data: dict


@dataclass
class ProcessInfo(Representable):
    """What the engine needs to know about a process.

    Attributes:
        destination_id: node at which a forked child process stops ("" for none).
        pipeline_stack: ids of the (sub)pipelines the process is in, outermost first.
        parent_id: id of the parent process (-1 or None for a root process, runtime dependent).
    """

    process_id: int
    destination_id: str
    root_pipeline_id: str
    pipeline_stack: List[str]
    parent_id: int

    @property
    def top_pipeline_id(self) -> str:
        """Id of the innermost (sub)pipeline the process is running in."""
        return self.pipeline_stack[-1]


@dataclass
class SuspendedProcessInfo(Representable):
    """A process suspended by a pipeline or node id."""

    process_id: int
    current_node: str
    root_pipeline_id: str
    pipeline_stack: List[str]

    @property
    def top_pipeline_id(self) -> str:
        """Id of the innermost (sub)pipeline the process is running in."""
        return self.pipeline_stack[-1]


@dataclass(frozen=True)
class DispatchProcess(Representable):
    """A forked child process and the node it starts at."""

    process_id: int
    node_id: str

    def to_dict(self) -> dict:
        return {"process_id": self.process_id, "node_id": self.node_id}

    @classmethod
    def from_dict(cls, obj: dict) -> "DispatchProcess":
        return cls(process_id=obj["process_id"], node_id=obj["node_id"])


class ContextValueType(Enum):
    """How a context value is resolved: as is, as a template, or by a compute variable."""

    PLAIN = 1
    SPLICE = 2
    COMPUTE = 3


@dataclass
class ContextValue(Representable):
    """A variable of a (sub)pipeline context; ``key`` is in ``${name}`` form.

    Attributes:
        code: compute variable code (COMPUTE values), else None or "".
    """

    key: str
    type: ContextValueType
    value: Any
    code: Optional[str] = None
