"""What an operator looks at before acting: a pipeline's nodes as a tree with their states, its processes,
and for each of them the actions that apply (:mod:`pipeline.eri.operations.applicable`).

Reading a pipeline takes a fixed number of queries (states, nodes, schedules, processes) plus, per
FAILED node, one read of its error and, for an activity, of the inputs an operator may edit for a retry.
"""

import json
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional, Tuple

from django.db.models import F

from bamboo_engine import states
from bamboo_engine.eri.models.node import NodeType
from bamboo_engine.eri.models.runtime import ScheduleType
from bamboo_engine.exceptions import NotFoundError, SerializationError, TreeInvalidException
from bamboo_engine.retry_policy import attempt_label, parse_retry_policy, pending_retry
from pipeline.eri.models import Node, Process, Schedule, State
from pipeline.eri.operations import applicable

_SUB_PIPELINE_TYPES = frozenset({NodeType.SubProcess.value, NodeType.SubCanvas.value})
_GATEWAY_TYPES = frozenset({NodeType.ExclusiveGateway.value, NodeType.ConditionalParallelGateway.value})
_ESCAPE_RENDER_KEYS = "_escape_render_keys"


@dataclass
class Flow:
    """An outgoing flow of a gateway, for choosing which way a skipped gateway goes on."""

    flow_id: str
    target_id: str
    target_name: str
    condition: str = ""


@dataclass
class NodeView:
    """One node of a pipeline as the operator sees it (``state`` is None before the node ran)."""

    node_id: str
    type: str
    name: str = ""
    code: str = ""
    depth: int = 0
    state: Optional[str] = None
    version: str = ""
    loop: int = 1
    retry: int = 0
    #: "attempt k of n" of a node with a retry_policy (docs/retry-policy.md), else "".
    attempt: str = ""
    #: A FAILED activity whose automatic retry is pending (a forced fail cancels it).
    retry_pending: bool = False
    skip: bool = False
    started_time: Optional[datetime] = None
    archived_time: Optional[datetime] = None
    error: str = ""
    #: The data inputs a retry starts from (FAILED activities), as ``node_retry`` takes them.
    retry_inputs: Optional[Dict[str, Any]] = None
    flows: List[Flow] = field(default_factory=list)
    converge_gateway_id: str = ""
    schedule_type: str = ""
    schedule_locked: bool = False
    actions: List[str] = field(default_factory=list)

    @property
    def retry_inputs_json(self) -> str:
        return json.dumps(self.retry_inputs or {}, indent=2, ensure_ascii=False, sort_keys=True, default=str)


@dataclass
class ProcessRow:
    """One process of a pipeline: where it is and whether it waits."""

    process_id: int
    current_node_id: str
    current_node_name: str
    asleep: bool
    suspended: bool
    frozen: bool
    dead: bool
    last_heartbeat: Optional[datetime]
    actions: List[str] = field(default_factory=list)


@dataclass
class PipelineView:
    """A root pipeline: its state, its nodes depth-first (subprocess nodes under theirs), its processes."""

    root_id: str
    state: str
    started_time: Optional[datetime]
    archived_time: Optional[datetime]
    actions: List[str]
    nodes: List[NodeView]
    processes: List[ProcessRow]


@dataclass(frozen=True)
class PipelineSummary:
    """A line of the recent pipelines list."""

    root_id: str
    state: str
    created_time: Optional[datetime]
    archived_time: Optional[datetime]


def root_of(any_id: str) -> Optional[str]:
    """The root pipeline of a pipeline or node id that has run, None when nothing has that id."""
    root_id = State.objects.filter(node_id=any_id).values_list("root_id", flat=True).first()
    if root_id:
        return root_id
    return Node.objects.filter(node_id=any_id).values_list("root_pipeline_id", flat=True).first() or None


def recent_pipelines(limit: int = 20, state_name: str = "") -> List[PipelineSummary]:
    """The newest root pipelines (optionally only those in ``state_name``)."""
    rows = State.objects.filter(node_id=F("root_id"))
    if state_name:
        rows = rows.filter(name=state_name)
    fields = ("node_id", "name", "created_time", "archived_time")
    return [PipelineSummary(*row) for row in rows.order_by("-id").values_list(*fields)[:limit]]


def pipeline_view(runtime: Any, root_id: str) -> Optional[PipelineView]:
    """Everything the console shows of the root pipeline ``root_id``; None when it has no state."""
    state_rows = {row["node_id"]: row for row in State.objects.filter(root_id=root_id).values()}
    root = state_rows.pop(root_id, None) or State.objects.filter(node_id=root_id).values().first()
    if root is None:
        return None
    details = _details(root_id, state_rows)
    names = _names(details)
    ordered = _ordered(details, root_id)
    nodes = [_node(detail, depth, state_rows.get(node_id)) for depth, node_id, detail in ordered]
    _add_schedules(nodes)
    for node in nodes:
        _add_failure(runtime, node)
        _add_attempt(runtime, node, details[node.node_id])
        _add_flows(node, details[node.node_id], names)
        node.actions = _actions_of(node, details[node.node_id])
    return PipelineView(
        root_id=root_id,
        state=root["name"],
        started_time=root["started_time"],
        archived_time=root["archived_time"],
        actions=applicable.pipeline_actions(root["name"]),
        nodes=nodes,
        processes=_processes(root_id, root["name"], names),
    )


def node_view(runtime: Any, node_id: str) -> Optional[NodeView]:
    """One node with its state, error, flows and actions; None when no node has that id."""
    text = Node.objects.filter(node_id=node_id).values_list("detail", flat=True).first()
    if text is None:
        return None
    detail = json.loads(text)
    node = _node(detail, 0, State.objects.filter(node_id=node_id).values().first())
    _add_schedules([node])
    _add_failure(runtime, node)
    _add_attempt(runtime, node, detail)
    target_ids = list((detail.get("targets") or {}).values())
    _add_flows(node, detail, _names(_load_details(Node.objects.filter(node_id__in=target_ids))))
    node.actions = _actions_of(node, detail)
    return node


# ---- reading ---------------------------------------------------------------------------------------


def _load_details(rows: Any) -> Dict[str, Dict[str, Any]]:
    return {node_id: json.loads(text) for node_id, text in rows.values_list("node_id", "detail")}


def _details(root_id: str, state_rows: Dict[str, dict]) -> Dict[str, Dict[str, Any]]:
    details = _load_details(Node.objects.filter(root_pipeline_id=root_id).order_by("id"))
    if not details:  # rows written without their root id: the nodes that ran are still known
        details = _load_details(Node.objects.filter(node_id__in=list(state_rows)).order_by("id"))
    return details


def _ordered(details: Dict[str, Dict[str, Any]], root_id: str) -> List[Tuple[int, str, Dict[str, Any]]]:
    """``(depth, node_id, detail)`` of every node: each pipeline from its start event along its flows."""
    members: Dict[str, List[str]] = {}
    for node_id, detail in details.items():
        members.setdefault(detail.get("parent_pipeline_id") or root_id, []).append(node_id)
    ordered: List[Tuple[int, str, Dict[str, Any]]] = []
    placed: set = set()

    def visit(pipeline_id: str, depth: int, start_id: str = "") -> None:
        for node_id in _flow_order(members.get(pipeline_id, []), details, start_id):
            placed.add(node_id)
            ordered.append((depth, node_id, details[node_id]))
            if details[node_id].get("type") in _SUB_PIPELINE_TYPES:
                visit(node_id, depth + 1, details[node_id].get("start_event_id") or "")

    visit(root_id, 0)
    ordered.extend((0, node_id, details[node_id]) for node_id in details if node_id not in placed)
    return ordered


def _flow_order(node_ids: List[str], details: Dict[str, Dict[str, Any]], start_id: str) -> List[str]:
    """``node_ids`` breadth-first from the start event along the flows; unreachable ones last."""
    own = set(node_ids)
    starts = [start_id] if start_id in own else []
    starts += [n for n in node_ids if details[n].get("type") == NodeType.EmptyStartEvent.value]
    queue, seen, order = deque(starts), set(), []
    while queue:
        node_id = queue.popleft()
        if node_id in seen or node_id not in own:
            continue
        seen.add(node_id)
        order.append(node_id)
        queue.extend((details[node_id].get("targets") or {}).values())
    return order + [n for n in node_ids if n not in seen]


def _node(detail: Dict[str, Any], depth: int, state: Optional[dict]) -> NodeView:
    node = NodeView(
        node_id=detail["id"],
        type=detail.get("type", ""),
        name=detail.get("name") or "",
        code=detail.get("code") or "",
        depth=depth,
        converge_gateway_id=detail.get("converge_gateway_id") or "",
    )
    if state is not None:
        node.state = state["name"]
        node.version = state["version"]
        node.loop = state["loop"]
        node.retry = state["retry"]
        node.skip = state["skip"]
        node.started_time = state["started_time"]
        node.archived_time = state["archived_time"]
    return node


def attempt_text(runtime: Any, detail: Dict[str, Any], state_name: Optional[str]) -> str:
    """``attempt k of n`` of an activity with a ``retry_policy`` that ran (one execution data read)."""
    return _attempt(runtime, detail, state_name)[0]


def _attempt(runtime: Any, detail: Dict[str, Any], state_name: Optional[str]) -> Tuple[str, bool]:
    """``(attempt k of n, whether a retry is pending)``; ``("", False)`` without a policy."""
    policy = detail.get("retry_policy")
    if not policy or state_name is None:
        return "", False
    try:
        data = runtime.get_execution_data(detail["id"])
        label = attempt_label(parse_retry_policy(policy, detail["id"]), data.inputs, data.outputs)
    except (SerializationError, NotFoundError, TreeInvalidException):
        return "", False
    return label, state_name == states.FAILED and pending_retry(data.outputs) is not None


def _add_attempt(runtime: Any, node: NodeView, detail: Dict[str, Any]) -> None:
    node.attempt, node.retry_pending = _attempt(runtime, detail, node.state)


def _add_schedules(nodes: Iterable[NodeView]) -> None:
    running = {node.node_id: node for node in nodes if node.state == states.RUNNING}
    if not running:
        return
    rows = Schedule.objects.filter(node_id__in=list(running), finished=False, expired=False)
    for node_id, version, schedule_type, locked in rows.values_list(
        "node_id", "version", "type", "scheduling"
    ):
        node = running[node_id]
        if node.version == version:
            node.schedule_type = ScheduleType(schedule_type).name
            node.schedule_locked = bool(locked)


def _add_failure(runtime: Any, node: NodeView) -> None:
    """The error of a FAILED node and, for an activity, the inputs a retry starts from."""
    if node.state != states.FAILED:
        return
    try:
        outputs = runtime.get_execution_data_outputs(node.node_id)
    except (SerializationError, NotFoundError) as err:  # e.g. pickled outputs: the node is still shown
        outputs = {"ex_data": f"(error not readable: {err})"}
    ex_data = outputs.get("ex_data", "") if isinstance(outputs, dict) else ""
    node.error = ex_data if isinstance(ex_data, str) else json.dumps(ex_data, ensure_ascii=False, default=str)
    if node.type == NodeType.ServiceActivity.value:
        node.retry_inputs = _retry_inputs(runtime, node.node_id)


def _retry_inputs(runtime: Any, node_id: str) -> Optional[Dict[str, Any]]:
    try:
        inputs = runtime.get_data_inputs(node_id)
    except (SerializationError, NotFoundError):  # nothing to edit: a retry keeps the inputs it has
        return None
    data = {key: data_input.value for key, data_input in inputs.items()}
    escaped = sorted(key for key, data_input in inputs.items() if not data_input.need_render)
    if escaped:
        data[_ESCAPE_RENDER_KEYS] = escaped
    return data


def _add_flows(node: NodeView, detail: Dict[str, Any], names: Dict[str, str]) -> None:
    """The outgoing flows of a gateway, with their target's name and condition."""
    if node.type not in _GATEWAY_TYPES:
        return
    conditions = {
        condition.get("flow_id"): condition.get("evaluation") or ""
        for condition in detail.get("conditions") or []
        if isinstance(condition, dict)
    }
    node.flows = [
        Flow(flow_id, target_id, names.get(target_id, ""), conditions.get(flow_id, ""))
        for flow_id, target_id in (detail.get("targets") or {}).items()
    ]


def _names(details: Dict[str, Dict[str, Any]]) -> Dict[str, str]:
    return {node_id: detail.get("name") or detail.get("type", "") for node_id, detail in details.items()}


def _actions_of(node: NodeView, detail: Dict[str, Any]) -> List[str]:
    schedule_type = ScheduleType[node.schedule_type].value if node.schedule_type else None
    return applicable.node_actions(
        node.type,
        node.state,
        can_retry=bool(detail.get("can_retry", True)),
        can_skip=bool(detail.get("can_skip", True)),
        schedule_type=schedule_type,
        schedule_locked=node.schedule_locked,
        retry_pending=node.retry_pending,
    )


def _processes(root_id: str, root_state: str, names: Dict[str, str]) -> List[ProcessRow]:
    fields = ("id", "current_node_id", "asleep", "suspended", "frozen", "dead", "last_heartbeat")
    rows = Process.objects.filter(root_pipeline_id=root_id).order_by("id").values_list(*fields)
    processes = []
    for process_id, current, asleep, suspended, frozen, dead, heartbeat in rows:
        actions = applicable.process_actions(root_state, dead, suspended, frozen)
        name = names.get(current, "")
        processes.append(
            ProcessRow(process_id, current, name, asleep, suspended, frozen, dead, heartbeat, actions)
        )
    return processes
