"""Nodes of a pipeline as the engine sees them (built by the runtime from the pipeline tree)."""

from dataclasses import dataclass, field
from enum import Enum
from typing import ClassVar, Dict, List, Optional

from bamboo_engine import exceptions
from bamboo_engine.retry_policy import RetryPolicy
from bamboo_engine.utils.object import Representable

DEFAULT_OUTPUTS_KEY = "outputs"


class NodeType(Enum):
    """Kinds of flow nodes; the value is the tree's ``type`` string."""

    ServiceActivity = "ServiceActivity"
    SubProcess = "SubProcess"
    SubCanvas = "SubCanvas"
    ExclusiveGateway = "ExclusiveGateway"
    ParallelGateway = "ParallelGateway"
    ConditionalParallelGateway = "ConditionalParallelGateway"
    ConvergeGateway = "ConvergeGateway"
    EmptyStartEvent = "EmptyStartEvent"
    EmptyEndEvent = "EmptyEndEvent"
    ExecutableEndEvent = "ExecutableEndEvent"


@dataclass
class LoopControlConfig(Representable):
    """How a node repeats itself (the tree's ``loop_config`` when ``enable`` is true).

    Attributes:
        loop_times: total iterations; None means the node does not repeat.
        fail_skip: a failed iteration is recorded as error-ignored and the loop goes on.
        retryable: ``retry_node(loop_retry=True)`` is allowed.
        skippable: ``skip_node(loop_skip=True)`` is allowed.
        outputs_key: context key receiving the list of per-iteration outputs.
    """

    DEFAULT_OUTPUTS_KEY: ClassVar[str] = DEFAULT_OUTPUTS_KEY

    loop_times: Optional[int] = None
    fail_skip: bool = False
    retryable: bool = False
    skippable: bool = False
    outputs_key: str = DEFAULT_OUTPUTS_KEY

    def should_continue_loop(self, inner_loop: int) -> bool:
        """Whether another iteration follows iteration number ``inner_loop`` (1-based)."""
        return self.loop_times is not None and inner_loop < self.loop_times


@dataclass
class Node(Representable):
    """A flow node: its id, type, outgoing connections and the flags the engine reads.

    Attributes:
        targets: ``{flow_id: target_node_id}`` of the outgoing flows.
        name: display name (None when the tree has none).
        loop_config: None unless the node loops (see :class:`LoopControlConfig`).
    """

    id: str
    type: NodeType
    target_flows: List[str]
    target_nodes: List[str]
    targets: Dict[str, str]
    root_pipeline_id: str
    parent_pipeline_id: str
    can_skip: bool = True
    can_retry: bool = True
    # The published signature is ``name: str = None``; keep it (an implicit Optional).
    name: str = None  # type: ignore[assignment]
    reserve_rollback: bool = False
    loop_config: Optional[LoopControlConfig] = None

    @property
    def loop_enabled(self) -> bool:
        return self.loop_config is not None

    @property
    def loop_times(self) -> Optional[int]:
        return self.loop_config.loop_times if self.loop_config is not None else None

    @property
    def loop_fail_skip(self) -> bool:
        return self.loop_config is not None and self.loop_config.fail_skip

    @property
    def can_loop_retryable(self) -> bool:
        return self.loop_config is not None and self.loop_config.retryable

    @property
    def can_loop_skippable(self) -> bool:
        return self.loop_config is not None and self.loop_config.skippable

    @property
    def loop_outputs_key(self) -> str:
        return self.loop_config.outputs_key if self.loop_config is not None else DEFAULT_OUTPUTS_KEY

    def should_continue_loop(self, inner_loop: int) -> bool:
        """Whether the node runs again after iteration ``inner_loop`` (always False without a loop)."""
        return self.loop_config is not None and self.loop_config.should_continue_loop(inner_loop)

    def next_node_id_in_loop(self, inner_loop: int) -> str:
        """The node to run after iteration ``inner_loop``: itself while looping, else its first target.

        Raises:
            ValueError: the loop is over and the node has no outgoing target.
        """
        if self.should_continue_loop(inner_loop):
            return self.id
        if not self.target_nodes:
            raise exceptions.ValueError(f"node({self.id}) has no target node to continue with")
        return self.target_nodes[0]


# The subclasses below take their own parameters FIRST and pass the rest to Node (published
# signatures such as ``ParallelGateway(converge_gateway_id, *args, **kwargs)``), which a generated
# dataclass ``__init__`` cannot express; ``init=False`` (class and extra fields) keeps the generated
# repr/eq over all fields.


@dataclass(init=False)
class EmptyStartEvent(Node):
    """Start event of a (sub)pipeline."""


@dataclass(init=False)
class EmptyEndEvent(Node):
    """End event of a (sub)pipeline."""


@dataclass(init=False)
class ConvergeGateway(Node):
    """Where the branches of a parallel or exclusive gateway meet."""


@dataclass(frozen=True)
class Condition(Representable):
    """A conditional outgoing flow of a gateway.

    Attributes:
        name: condition name (the Django runtime uses the flow id).
        evaluation: boolrule expression, may contain ``${}`` references.
    """

    name: str
    evaluation: str
    target_id: str
    flow_id: str


@dataclass(frozen=True)
class DefaultCondition(Representable):
    """The flow taken when no condition of a gateway holds."""

    name: str
    target_id: str
    flow_id: str


@dataclass(init=False)
class ParallelGateway(Node):
    """Forks one child process per outgoing flow; they meet at ``converge_gateway_id``."""

    converge_gateway_id: str = field(init=False)

    def __init__(self, converge_gateway_id: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.converge_gateway_id = converge_gateway_id


@dataclass(init=False)
class ConditionalParallelGateway(Node):
    """Forks one child process per outgoing flow whose condition holds."""

    conditions: List[Condition] = field(init=False)
    converge_gateway_id: str = field(init=False)
    default_condition: Optional[DefaultCondition] = field(init=False)
    extra_info: dict = field(init=False)

    def __init__(
        self,
        conditions: List[Condition],
        converge_gateway_id: str,
        default_condition: DefaultCondition = None,
        extra_info: dict = None,
        *args,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.conditions = conditions
        self.converge_gateway_id = converge_gateway_id
        self.default_condition = default_condition
        self.extra_info = extra_info if extra_info is not None else {}


@dataclass(init=False)
class ExclusiveGateway(Node):
    """Continues along exactly one outgoing flow chosen by its conditions."""

    conditions: List[Condition] = field(init=False)
    default_condition: Optional[DefaultCondition] = field(init=False)
    extra_info: dict = field(init=False)

    def __init__(
        self,
        conditions: List[Condition],
        default_condition: DefaultCondition = None,
        extra_info: dict = None,
        *args,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.conditions = conditions
        self.default_condition = default_condition
        self.extra_info = extra_info if extra_info is not None else {}


@dataclass(init=False)
class ServiceActivity(Node):
    """Runs a plugin service identified by ``code`` and ``version``."""

    code: str = field(init=False)
    version: str = field(init=False)
    error_ignorable: bool = field(init=False)
    retry_policy: Optional[RetryPolicy] = field(init=False)

    def __init__(
        self,
        code: str,
        version: str,
        error_ignorable: bool,
        *args,
        **kwargs,
    ):
        # ``retry_policy=`` is a keyword outside the published signature (RetryPolicy or None)
        retry_policy: Optional[RetryPolicy] = kwargs.pop("retry_policy", None)
        super().__init__(*args, **kwargs)
        self.code = code
        self.version = version
        self.error_ignorable = error_ignorable
        # None: a failure waits for an operator; else the engine retries it (bamboo_engine.retry_policy)
        self.retry_policy = retry_policy


@dataclass(init=False)
class SubProcess(Node):
    """Runs a child pipeline whose start event is ``start_event_id``."""

    start_event_id: str = field(init=False)

    def __init__(self, start_event_id: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_event_id = start_event_id


@dataclass(init=False)
class SubCanvas(Node):
    """Runs a child canvas sharing a copy of the parent context."""

    start_event_id: str = field(init=False)

    def __init__(self, start_event_id: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_event_id = start_event_id


@dataclass(init=False)
class ExecutableEndEvent(Node):
    """An end event that first runs the end-event class registered under ``code``."""

    code: str = field(init=False)

    def __init__(self, code: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.code = code
