"""Receivers of the runtime's signals: each writes what it saw as a ``HookRecord`` row.

Also the project's one deliberate fault, for the recovery tests: when ``COMPAT_FAULT_DIR`` holds a file
``<node_id>.<STATE>``, the ``post_set_state`` receiver consumes it and raises the error a lost database
connection raises, right after the runtime wrote that state (as a receiver that writes an audit row
over a dropped connection would).
"""

import json
import os
from typing import Any, Optional

from django.db import OperationalError

from pipeline.eri import signals

FAULT_DIR_ENV = "COMPAT_FAULT_DIR"
LOST_CONNECTION = (2013, "Lost connection to MySQL server during query")


def qualified_name(obj: Any) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def jsonable(value: Any) -> Any:
    """``value`` if JSON can store it, else its type name and repr (records never fail to save)."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return {"type": qualified_name(value), "repr": repr(value)[:200]}
    return value


def record(
    source: str, name: str, node_id: str = "", sender: Any = None, detail: Optional[dict] = None
) -> None:
    from compat_plugins.models import HookRecord

    HookRecord.objects.create(
        source=source,
        name=name,
        node_id=node_id or "",
        sender=qualified_name(sender) if sender is not None else "",
        detail=json.dumps({key: jsonable(value) for key, value in (detail or {}).items()}),
        process_id=os.getpid(),
    )


def on_pipeline_event(sender, event, **kwargs):
    data = dict(event.data)
    if "pipeline" in data:  # the whole tree: its id is enough
        data["pipeline"] = data["pipeline"].get("id")
    record("pipeline_event", event.event_type, data.get("node_id", ""), sender, data)


def on_post_set_state(sender, node_id, to_state, version, **kwargs):
    record("post_set_state", to_state, node_id, sender, {"version": version})
    fault = os.path.join(os.environ.get(FAULT_DIR_ENV, ""), f"{node_id}.{to_state}")
    if os.environ.get(FAULT_DIR_ENV) and os.path.exists(fault):
        os.remove(fault)
        raise OperationalError(*LOST_CONNECTION)


def on_pre_service_execute(sender, service, data, parent_data, **kwargs):
    record("pre_service_execute", "pre_service_execute", getattr(service, "id", ""), sender)


def on_pre_service_schedule(sender, service, data, parent_data, callback_data=None, **kwargs):
    record(
        "pre_service_schedule",
        "pre_service_schedule",
        getattr(service, "id", ""),
        sender,
        {"callback_data_type": qualified_name(callback_data) if callback_data is not None else None},
    )


def on_interrupt(sender, event, **kwargs):
    record(
        "interrupt", type(event).__name__, getattr(event, "node_id", ""), sender, {"event": repr(event)[:500]}
    )


def connect() -> None:
    uid = "compat_plugins.recorders"
    signals.pipeline_event.connect(on_pipeline_event, dispatch_uid=f"{uid}.pipeline_event")
    signals.post_set_state.connect(on_post_set_state, dispatch_uid=f"{uid}.post_set_state")
    signals.pre_service_execute.connect(on_pre_service_execute, dispatch_uid=f"{uid}.pre_service_execute")
    signals.pre_service_schedule.connect(on_pre_service_schedule, dispatch_uid=f"{uid}.pre_service_schedule")
    signals.execute_interrupt.connect(on_interrupt, dispatch_uid=f"{uid}.execute_interrupt")
    signals.schedule_interrupt.connect(on_interrupt, dispatch_uid=f"{uid}.schedule_interrupt")
