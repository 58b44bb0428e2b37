"""The pipeline-tree walk both apps use: every ServiceActivity, subprocesses' included."""

from typing import Any, Dict, Iterator, Tuple

ACTIVITIES = "activities"
SERVICE_ACTIVITY = "ServiceActivity"
SUB_PROCESS = "SubProcess"
PIPELINE = "pipeline"


def service_activities(pipeline_tree: Dict[str, Any]) -> Iterator[Tuple[str, Dict[str, Any]]]:
    """``(node_id, activity dict)`` of every ServiceActivity; the dicts are the tree's own (mutable)."""
    for act_id, act in pipeline_tree[ACTIVITIES].items():
        if act["type"] == SUB_PROCESS:
            yield from service_activities(act[PIPELINE])
        elif act["type"] == SERVICE_ACTIVITY:
            yield act_id, act
