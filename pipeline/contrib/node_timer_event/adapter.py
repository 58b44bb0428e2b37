"""Where a node's timers come from, and how their deadline members are named.

``PIPELINE_NODE_TIMER_EVENT_ADAPTER_CLASS`` names the class (default :class:`NodeTimerEventAdapter`, which
reads ``NodeTimerEventConfig``). A project's own adapter subclasses :class:`NodeTimerEventBaseAdapter` and
sets ``root_pipeline_id`` and ``events`` in ``__init__(node_id, version)`` from wherever its timers live.

Members are upstream's ``<KEY_PREFIX>:node:<node_id>:version:<version>:index:<index>``.
"""

import abc
import datetime
import logging
import re
from typing import Dict, List, Optional, Union

from pipeline.contrib.deadlines.pool import Deadline
from pipeline.contrib.node_timer_event.settings import node_timer_event_settings
from pipeline.contrib.node_timer_event.types import TimerEvent, TimerEvents
from pipeline.contrib.node_timer_event.utils import parse_timer_defined

logger = logging.getLogger(__name__)

EVENT_KEY_PATTERN = re.compile(r".*node:(?P<node_id>.+):version:(?P<version>.+):index:(?P<index>\d+)")


class NodeTimerEventBaseAdapter(abc.ABC):
    """The timers of one run (``version``) of a node."""

    node_id: str
    version: str
    root_pipeline_id: Optional[str] = None
    events: Optional[TimerEvents] = None
    index__event_map: Optional[Dict[int, TimerEvent]] = None

    def __init__(self, node_id: str, version: str):
        self.node_id = node_id
        self.version = version

    def set_events(self, root_pipeline_id: str, events: TimerEvents) -> None:
        self.root_pipeline_id = root_pipeline_id
        self.events = events
        self.index__event_map = {event["index"]: event for event in events}

    def is_ready(self) -> bool:
        """Whether the node has timers."""
        return bool(self.events)

    def get_event_key(self, event: TimerEvent) -> str:
        """The deadline member of one timer of this run."""
        prefix = node_timer_event_settings.key_prefix
        return f"{prefix}:node:{self.node_id}:version:{self.version}:index:{event['index']}"

    def fetch_keys_to_be_rem(self) -> List[str]:
        return [self.get_event_key(event) for event in self.events or []]

    @classmethod
    def get_next_expired_time(cls, event: TimerEvent, start: Optional[datetime.datetime] = None) -> float:
        """When the timer first falls due for a run started at ``start`` (default now), epoch seconds."""
        return parse_timer_defined(event["timer_type"], event["defined"], start=start)["timestamp"]

    def deadlines(self, now: float) -> List[Deadline]:
        """The ``(member, due)`` pairs a run that became RUNNING at ``now`` arms."""
        start = datetime.datetime.fromtimestamp(now)
        deadlines = []
        for event in self.events or []:
            try:
                deadlines.append((self.get_event_key(event), self.get_next_expired_time(event, start)))
            except (ValueError, TypeError, KeyError):
                logger.exception("[node_timer_event] node %s: timer %s can not be armed", self.node_id, event)
        return deadlines

    @classmethod
    def parse_event_key(cls, key: str) -> Dict[str, Union[str, int]]:
        """``{"node_id", "version", "index"}`` of a member.

        Raises:
            ValueError: not a timer member.
        """
        match = EVENT_KEY_PATTERN.match(key)
        if not match:
            raise ValueError(f"invalid key -> {key}")
        key_info: Dict[str, Union[str, int]] = dict(match.groupdict())
        key_info["index"] = int(key_info["index"])
        return key_info


class NodeTimerEventAdapter(NodeTimerEventBaseAdapter):
    """Timers from ``NodeTimerEventConfig`` (one query)."""

    def __init__(self, node_id: str, version: str):
        super().__init__(node_id, version)
        # imported here: the adapter module stays importable without Django (unit tests)
        from pipeline.contrib.node_timer_event.models import load_events

        config = load_events(node_id)
        if config is not None:
            self.set_events(*config)

    @classmethod
    def from_events(cls, node_id: str, version: str, root_pipeline_id: str, events: TimerEvents):
        """An adapter for timers already read (no query)."""
        adapter = cls.__new__(cls)
        NodeTimerEventBaseAdapter.__init__(adapter, node_id, version)
        adapter.set_events(root_pipeline_id, events)
        return adapter
