"""A run as a graph: what the engine_admin graph page draws and polls.

Three JSON documents, each read in a fixed number of queries:

- :func:`pipeline_graph` — the structure, once per page: every pipeline of the run (the root and each
  subprocess's child pipeline) with its nodes placed by :mod:`pipeline.eri.operations.graph_layout` and
  its flows, plus the current :func:`run_states`.
- :func:`run_states` — what changes while the run is live, polled by the page: the root's state, each
  node's state with its retry, skip and loop marks, and the ids of the flows the run took.
- :func:`node_panel` — one node for the side panel: its state and timings, inputs, outputs, ``ex_data``,
  histories and newest logs. Stored values are decoded as the admin decodes them: pickled values are
  never loaded.
"""

import json
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

from bamboo_engine import states
from bamboo_engine.eri.models.node import NodeType
from bamboo_engine.exceptions import TreeInvalidException
from bamboo_engine.retry_policy import attempt_label, parse_retry_policy
from pipeline.eri.admin_helpers import Undecodable, decode_json, decode_serialized, ex_data_of
from pipeline.eri.models import Data, ExecutionData, ExecutionHistory, LogEntry, Node, State
from pipeline.eri.operations.graph_layout import back_flows, layered_layout

_SUB_PIPELINE_TYPES = frozenset({NodeType.SubProcess.value, NodeType.SubCanvas.value})
#: A root pipeline in one of these states changes no more: the page stops polling.
SETTLED_STATES = frozenset({states.FINISHED, states.REVOKED})
#: The side panel shows the newest logs and histories of a node, not all of a long-looping one.
PANEL_LOG_LIMIT = 200
PANEL_HISTORY_LIMIT = 50
_STATE_FIELDS = ("node_id", "name", "version", "loop", "retry", "skip", "error_ignored")


def pipeline_graph(root_id: str) -> Optional[Dict[str, Any]]:
    """The graph of the root pipeline ``root_id``; None when it never ran."""
    root = State.objects.filter(node_id=root_id).values("name", "started_time", "archived_time").first()
    if root is None:
        return None
    details = _details(root_id)
    pipelines: Dict[str, Dict[str, Any]] = {}
    nodes: Dict[str, Dict[str, Any]] = {}
    for pipeline_id, members in _members(details, root_id).items():
        start_id = _start_of(pipeline_id, root_id, details, members)
        pipelines[pipeline_id], placed = _pipeline(pipeline_id, members, details, start_id)
        nodes.update(placed)
    return {
        "root_id": root_id,
        "started_time": _time(root["started_time"]),
        "archived_time": _time(root["archived_time"]),
        "node_count": len(nodes),
        "pipelines": pipelines,
        "nodes": nodes,
        "live": _run_states(root_id, root["name"], details),
    }


def run_states(root_id: str) -> Optional[Dict[str, Any]]:
    """The part of the graph that changes while the run is live; None when the root never ran."""
    root_state = State.objects.filter(node_id=root_id).values_list("name", flat=True).first()
    if root_state is None:
        return None
    return _run_states(root_id, root_state, _details(root_id))


def flow_taken(
    source: Optional[Dict[str, Any]], target: Optional[Dict[str, Any]], *, fan_out: int, back: bool
) -> bool:
    """Whether the run went along a flow, from the states of its ends (None: the node was not reached).

    A node passes on only when it FINISHED (skipped nodes too). A node with one outgoing flow then took
    it; a gateway took the flows whose target was reached. A flow closing a loop was taken when its
    target ran again (loop above 1): reaching the target once says nothing about the way back.
    """
    if source is None or source["state"] != states.FINISHED:
        return False
    if back:
        return target is not None and target.get("loop", 1) > 1
    return fan_out == 1 or target is not None


def node_panel(root_id: str, node_id: str) -> Optional[Dict[str, Any]]:
    """Everything the side panel shows of ``node_id`` of the run ``root_id``; None when it is not one."""
    row = Node.objects.filter(node_id=node_id).values_list("detail", "root_pipeline_id").first()
    if row is None:
        return None
    detail = decode_json(row[0])
    detail = detail if isinstance(detail, dict) else {}
    if (row[1] or detail.get("root_pipeline_id")) != root_id:
        return None
    state = State.objects.filter(node_id=node_id).values().first()
    panel: Dict[str, Any] = {
        "node_id": node_id,
        "type": detail.get("type", ""),
        "name": detail.get("name") or "",
        "code": detail.get("code") or "",
        "version": detail.get("version") or "",
        "state": _state_panel(state),
    }
    panel.update(_data_panel(node_id))
    panel["attempt"] = _attempt(detail, panel) if state is not None else ""
    panel["histories"] = _histories(node_id)
    panel["logs"], panel["logs_truncated"] = _logs(node_id)
    return panel


# ---- structure ---------------------------------------------------------------------------------------


def _details(root_id: str) -> Dict[str, Dict[str, Any]]:
    fields = ("node_id", "detail")
    rows = list(Node.objects.filter(root_pipeline_id=root_id).order_by("id").values_list(*fields))
    if not rows:  # rows written without their root id: the nodes that ran are still known
        ran = list(State.objects.filter(root_id=root_id).values_list("node_id", flat=True))
        rows = list(Node.objects.filter(node_id__in=ran).order_by("id").values_list(*fields))
    details = {}
    for node_id, text in rows:
        detail = decode_json(text)
        details[node_id] = detail if isinstance(detail, dict) else {"id": node_id, "type": ""}
    return details


def _members(details: Dict[str, Dict[str, Any]], root_id: str) -> Dict[str, List[str]]:
    """Node ids of each pipeline of the run, keyed by pipeline id (a subprocess node's id is its child
    pipeline's id); the root first, so the page finds it without knowing the id rules."""
    members: Dict[str, List[str]] = {root_id: []}
    for node_id, detail in details.items():
        members.setdefault(detail.get("parent_pipeline_id") or root_id, []).append(node_id)
    return members


def _start_of(pipeline_id: str, root_id: str, details: Dict[str, Dict[str, Any]], members: List[str]) -> str:
    if pipeline_id != root_id and pipeline_id in details:
        return details[pipeline_id].get("start_event_id") or ""
    starts = [n for n in members if details[n].get("type") == NodeType.EmptyStartEvent.value]
    return starts[0] if starts else ""


def _flows(members: List[str], details: Dict[str, Dict[str, Any]]) -> List[Tuple[str, str, str]]:
    """``(flow_id, source, target)`` of the flows leaving ``members``, in the order the tree lists them."""
    return [
        (flow_id, node_id, target_id)
        for node_id in members
        for flow_id, target_id in (details[node_id].get("targets") or {}).items()
    ]


def _pipeline(
    pipeline_id: str, members: List[str], details: Dict[str, Dict[str, Any]], start_id: str
) -> Tuple[Dict[str, Any], Dict[str, Dict[str, Any]]]:
    """One pipeline's entry (its nodes, start and flows, loops marked) and its nodes placed."""
    flows = _flows(members, details)
    layout = layered_layout(members, [(source, target) for _, source, target in flows], start_id)
    flow_rows = []
    for index, (flow_id, source, target) in enumerate(flows):
        flow: Dict[str, Any] = {"id": flow_id, "source": source, "target": target}
        if index in layout.back_flows:
            flow["back"] = True
        flow_rows.append(flow)
    nodes = {}
    for node_id in members:
        detail, place = details[node_id], layout.placements[node_id]
        node: Dict[str, Any] = {
            "type": detail.get("type", ""),
            "name": detail.get("name") or "",
            "pipeline": pipeline_id,
            "rank": place.rank,
            "row": place.row,
        }
        if detail.get("code"):
            node["code"] = detail["code"]
        if node["type"] in _SUB_PIPELINE_TYPES:
            node["children"] = node_id
        nodes[node_id] = node
    return {"start_id": start_id, "nodes": members, "flows": flow_rows}, nodes


# ---- states ------------------------------------------------------------------------------------------


def _run_states(root_id: str, root_state: str, details: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
    node_states = _node_states(root_id)
    taken = []
    for pipeline_id, members in _members(details, root_id).items():
        flows = _flows(members, details)
        start_id = _start_of(pipeline_id, root_id, details, members)
        back = back_flows(members, [(source, target) for _, source, target in flows], start_id)
        fan_out: Dict[str, int] = {}
        for _, source, _ in flows:
            fan_out[source] = fan_out.get(source, 0) + 1
        for index, (flow_id, source, target) in enumerate(flows):
            ends = node_states.get(source), node_states.get(target)
            if flow_taken(*ends, fan_out=fan_out[source], back=index in back):
                taken.append(flow_id)
    return {
        "state": root_state,
        "settled": root_state in SETTLED_STATES,
        "nodes": node_states,
        "taken": taken,
    }


def _node_states(root_id: str) -> Dict[str, Dict[str, Any]]:
    """``{node_id: {"state": ..., and "retry", "skip", "loop", "error_ignored" when not the default}}``."""
    rows = State.objects.filter(root_id=root_id).exclude(node_id=root_id).values_list(*_STATE_FIELDS)
    found = {}
    for node_id, name, _version, loop, retry, skip, error_ignored in rows:
        entry: Dict[str, Any] = {"state": name}
        if retry:
            entry["retry"] = retry
        if skip:
            entry["skip"] = True
        if loop and loop > 1:
            entry["loop"] = loop
        if error_ignored:
            entry["error_ignored"] = True
        found[node_id] = entry
    return found


# ---- the side panel ----------------------------------------------------------------------------------


def _state_panel(state: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    if state is None:
        return None
    return {
        "name": state["name"],
        "version": state["version"],
        "loop": state["loop"],
        "inner_loop": state["inner_loop"],
        "retry": state["retry"],
        "skip": state["skip"],
        "error_ignored": state["error_ignored"],
        "created_time": _time(state["created_time"]),
        "started_time": _time(state["started_time"]),
        "archived_time": _time(state["archived_time"]),
        "duration_s": _duration(state["started_time"], state["archived_time"]),
    }


def _data_panel(node_id: str) -> Dict[str, Any]:
    """The inputs and outputs the node ran with; before it ran, the inputs it is configured with."""
    execution = ExecutionData.objects.filter(node_id=node_id).values().first()
    if execution is not None:
        inputs = decode_serialized(execution["inputs"], execution["inputs_serializer"])
        outputs = decode_serialized(execution["outputs"], execution["outputs_serializer"])
        return {
            "inputs": _plain(inputs),
            "outputs": _plain(outputs),
            "ex_data": ex_data_of(outputs),
            "data_source": "execution",
        }
    configured = Data.objects.filter(node_id=node_id).values_list("inputs", flat=True).first()
    return {
        "inputs": _plain(decode_json(configured)) if configured is not None else None,
        "outputs": None,
        "ex_data": "",
        "data_source": "configured" if configured is not None else "",
    }


def _attempt(detail: Dict[str, Any], panel: Dict[str, Any]) -> str:
    """``attempt k of n`` of an activity with a retry_policy, from the data it ran with; else ""."""
    if not detail.get("retry_policy") or panel["data_source"] != "execution":
        return ""
    inputs, outputs = panel["inputs"], panel["outputs"]
    try:
        policy = parse_retry_policy(detail["retry_policy"], detail.get("id", ""))
    except TreeInvalidException:
        return ""
    return attempt_label(
        policy, inputs if isinstance(inputs, dict) else {}, outputs if isinstance(outputs, dict) else {}
    )


def _histories(node_id: str) -> List[Dict[str, Any]]:
    rows = ExecutionHistory.objects.filter(node_id=node_id).order_by("-id").values()[:PANEL_HISTORY_LIMIT]
    histories = []
    for row in reversed(list(rows)):
        outputs = decode_serialized(row["outputs"], row["outputs_serializer"])
        histories.append(
            {
                "loop": row["loop"],
                "retry": row["retry"],
                "skip": row["skip"],
                "version": row["version"],
                "started_time": _time(row["started_time"]),
                "archived_time": _time(row["archived_time"]),
                "duration_s": _duration(row["started_time"], row["archived_time"]),
                "inputs": _plain(decode_serialized(row["inputs"], row["inputs_serializer"])),
                "outputs": _plain(outputs),
                "ex_data": ex_data_of(outputs),
            }
        )
    return histories


def _logs(node_id: str) -> Tuple[List[Dict[str, Any]], bool]:
    fields = ("logged_at", "level_name", "logger_name", "loop", "message")
    rows = list(
        LogEntry.objects.filter(node_id=node_id).order_by("-id").values_list(*fields)[: PANEL_LOG_LIMIT + 1]
    )
    logs = [
        {"logged_at": _time(at), "level": level, "logger": logger, "loop": loop, "message": message or ""}
        for at, level, logger, loop, message in reversed(rows[:PANEL_LOG_LIMIT])
    ]
    return logs, len(rows) > PANEL_LOG_LIMIT


def _plain(value: Any) -> Any:
    """A decoded stored value as plain JSON (tagged JSON may hold sets, dates, ...; they become text)."""
    if isinstance(value, Undecodable):
        return {"undecodable": value.reason, "raw": value.raw}
    return json.loads(json.dumps(value, ensure_ascii=False, default=repr))


def _time(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat() if value is not None else None


def _duration(started: Optional[datetime], archived: Optional[datetime]) -> Optional[float]:
    if started is None or archived is None:
        return None
    return round((archived - started).total_seconds(), 3)
