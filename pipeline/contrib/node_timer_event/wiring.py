"""The Django pieces of timer events: the pool, the ledger, the configs and the state watcher."""

import json
from typing import Any, Dict, List, Optional

from pipeline.contrib.deadlines.backends import select_pool
from pipeline.contrib.deadlines.config_cache import RootConfigCache
from pipeline.contrib.deadlines.database import DatabaseFiringLedger
from pipeline.contrib.deadlines.pool import DeadlinePool
from pipeline.contrib.deadlines.rules import StateWatcher
from pipeline.contrib.node_timer_event.adapter import NodeTimerEventAdapter, NodeTimerEventBaseAdapter
from pipeline.contrib.node_timer_event.models import (
    NodeTimerEventConfig,
    TimerEventDeadline,
    TimerEventFiring,
)
from pipeline.contrib.node_timer_event.settings import node_timer_event_settings
from pipeline.eri.imp import _sql


def timer_pool() -> DeadlinePool:
    """Redis (``PIPELINE_NODE_TIMER_EVENT_EXECUTING_POOL``) when configured, else the ``TimerEventDeadline``
    table."""
    return select_pool(
        "PIPELINE_NODE_TIMER_EVENT_BACKEND",
        node_timer_event_settings.executing_pool,
        TimerEventDeadline,
        int(node_timer_event_settings.max_expire_time),
    )


def timer_ledger() -> DatabaseFiringLedger:
    return DatabaseFiringLedger(TimerEventFiring)


def load_root_events(root_pipeline_id: str) -> Dict[str, List[Dict[str, Any]]]:
    # Plain SQL (string columns): read once per root and process, in the state-change receiver.
    rows = _sql.select(NodeTimerEventConfig, ("node_id", "events"), {"root_pipeline_id": root_pipeline_id})
    return {node_id: json.loads(events) for node_id, events in rows}


#: The timers of the root pipelines this process saw (see RootConfigCache for why it is safe).
root_configs = RootConfigCache(load_root_events)


def adapter_for(node_id: str, version: str, root_id: Optional[str]) -> Optional[NodeTimerEventBaseAdapter]:
    """The adapter of a run that has timers, None otherwise.

    With the default adapter class the timers come from :data:`root_configs` (no query per node); a
    project's adapter class is asked for each state change, as upstream does.
    """
    adapter_class = node_timer_event_settings.adapter_class
    if adapter_class is NodeTimerEventAdapter and root_id:
        events = root_configs.get(root_id).get(node_id)
        return NodeTimerEventAdapter.from_events(node_id, version, root_id, events) if events else None
    adapter = adapter_class(node_id=node_id, version=version)
    return adapter if adapter.is_ready() else None


watcher = StateWatcher(
    pool=timer_pool,
    node_config=adapter_for,
    root_nodes=lambda root_id: root_configs.get(root_id).keys(),
    deadlines=lambda node_id, version, adapter, now: adapter.deadlines(now),
)
