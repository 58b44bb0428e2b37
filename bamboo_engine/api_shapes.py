"""Shapes of the records ``bamboo_engine.api`` queries return (kept apart so api.py stays a list of entry
points)."""

from datetime import datetime
from typing import Optional

from bamboo_engine.eri.models.runtime import State


def format_state(state: State, error_state: Optional[State] = None, parent_id: Optional[str] = None) -> dict:
    """Shape one state record; the keyword arguments reproduce upstream quirks where asked."""
    error_state = error_state or state
    return {
        "id": state.node_id,
        "state": state.name,
        # quirk (REQUIRED): the key really ends with a colon
        "root_id:": state.root_id,
        "parent_id": state.parent_id if parent_id is None else parent_id,
        "version": state.version,
        "loop": state.loop,
        "retry": state.retry,
        "skip": state.skip,
        # quirk (REQUIRED): "error_ignorable" holds error_ignored
        "error_ignorable": error_state.error_ignored,
        "error_ignored": error_state.error_ignored,
        "created_time": state.created_time,
        "started_time": state.started_time,
        "archived_time": state.archived_time,
        "children": {},
    }


def nest_children(children: dict, root_id: str) -> dict:
    """Place each record into its parent's ``children``; keep only direct children of the root."""
    for node_id, record in children.items():
        parent = children.get(record["parent_id"])
        if parent is not None:
            parent["children"][node_id] = record
    return {node_id: record for node_id, record in children.items() if record["parent_id"] == root_id}


def execution_time(state: State) -> dict:
    """How long ``state`` ran: until archived, or until now (in the timezone of its start)."""
    started, archived = state.started_time, state.archived_time
    if started is None:
        elapsed = 0.0
    else:
        end = archived if archived is not None else datetime.now(tz=started.tzinfo)
        elapsed = (end - started).total_seconds()
    return {"state": state.name, "start_time": started, "archived_time": archived, "execution_time": elapsed}
