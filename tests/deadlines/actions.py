"""A timer action a project would register: records each call (node, version, data it received)."""

import threading
from typing import Any, Dict, List

from pipeline.contrib.node_timer_event.handlers import BaseAction

#: One entry per ``do`` call, in call order.
CALLS: List[Dict[str, Any]] = []
_lock = threading.Lock()


class RecordingAction(BaseAction):
    def do(self, data, parent_data, *args, **kwargs) -> bool:
        with _lock:
            CALLS.append(
                {
                    "node_id": self.node_id,
                    "version": self.version,
                    "root_pipeline_id": self.root_pipeline_id,
                    "inputs": dict(data.get_inputs()),
                    "parent_inputs": dict(parent_data.get_inputs()),
                }
            )
        return True

    class Meta:
        action_name = "tests_recording"


def calls_of(node_id: str) -> List[Dict[str, Any]]:
    with _lock:
        return [call for call in CALLS if call["node_id"] == node_id]
