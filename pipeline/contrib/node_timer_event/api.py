"""Public functions of ``pipeline.contrib.node_timer_event`` (upstream's names and signatures; wrapped:
they return ``PipelineContribAPIResult``)."""

from typing import Any, Dict, List

from pipeline.contrib.deadlines.tree import service_activities
from pipeline.contrib.node_timer_event.models import NodeTimerEventConfig
from pipeline.contrib.node_timer_event.wiring import root_configs
from pipeline.contrib.utils import ensure_return_pipeline_contrib_api_result

TIMER_KEYS = ("enable", "timer_type", "action", "defined")


@ensure_return_pipeline_contrib_api_result
def apply_node_timer_event_configs(pipeline_tree: Dict[str, Any], configs: Dict[str, List[Dict[str, Any]]]):
    """Write ``events.timer_events`` into the tree's ServiceActivity nodes named in ``configs``.

    Args:
        pipeline_tree: the tree; changed in place (subprocesses included).
        configs: ``{node_id: [{"enable": bool, "action": str, "timer_type": "time_date" | "time_cycle" |
            "time_duration", "defined": str}]}``.

    Returns:
        (as ``.data``) the same, updated tree (upstream returns a copy taken before the change).
    """
    for act_id, act in service_activities(pipeline_tree):
        if act_id in configs:
            act.setdefault("events", {})["timer_events"] = [
                {key: config[key] for key in TIMER_KEYS} for config in configs[act_id]
            ]
    return pipeline_tree


@ensure_return_pipeline_contrib_api_result
def batch_create_node_timer_event_config(root_pipeline_id: str, pipeline_tree: Dict[str, Any]):
    """Store one ``NodeTimerEventConfig`` per activity with enabled timers; call it before the run.

    Returns:
        (as ``.data``) ``{"result": True, "data": [NodeTimerEventConfig, ...], "message": ""}``; timers that
        do not parse are left out and named in ``message``.
    """
    result = NodeTimerEventConfig.objects.batch_create_node_timer_event_config(
        root_pipeline_id, pipeline_tree
    )
    root_configs.forget(root_pipeline_id)
    return result
