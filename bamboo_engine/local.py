"""The node the current thread is running, for log handlers.

Uses ``threading.local``; when gevent monkey-patches ``threading`` this becomes per greenlet.
"""

import threading
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class CurrentNodeInfo:
    """The node being run: its id, state version and loop."""

    node_id: str
    version: str
    loop: int


_local = threading.local()


def set_node_info(info: CurrentNodeInfo) -> None:
    """Record the node this thread is running."""
    _local.current_node_info = info


def get_node_info() -> Optional[CurrentNodeInfo]:
    """The node this thread is running, or None."""
    return getattr(_local, "current_node_info", None)


def clear_node_info() -> None:
    """Forget the node this thread was running."""
    _local.current_node_info = None
