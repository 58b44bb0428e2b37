"""Public functions of ``pipeline.contrib.node_timeout`` (upstream's names and signatures)."""

from pipeline.contrib.deadlines.tree import service_activities
from pipeline.contrib.node_timeout.models import TimeoutNodeConfig
from pipeline.contrib.node_timeout.wiring import root_configs


def apply_node_timout_configs(pipeline_tree: dict, configs: dict):  # sic: upstream's name
    """Write ``timeout_config`` into the tree's ServiceActivity nodes named in ``configs`` (subprocesses too).

    Args:
        pipeline_tree: the tree; changed in place.
        configs: ``{node_id: {"enable": bool, "action": "forced_fail" | "forced_fail_and_skip" | <a key of
            PIPELINE_NODE_TIMEOUT_HANDLER>, "seconds": int}}``.

    Returns:
        the same, updated tree (upstream returns a copy taken before the change).
    """
    for act_id, act in service_activities(pipeline_tree):
        if act_id in configs:
            config = configs[act_id]
            act["timeout_config"] = {
                "enable": config["enable"],
                "action": config["action"],
                "seconds": config["seconds"],
            }
    return pipeline_tree


def batch_create_node_timeout_config(root_pipeline_id: str, pipeline_tree: dict):
    """Store one ``TimeoutNodeConfig`` per enabled ``timeout_config`` of the tree; call it before the run.

    Returns:
        ``{"result": True, "data": [TimeoutNodeConfig, ...], "message": ""}``; configs whose seconds are
        not a positive integer are left out and named in ``message``.
    """
    result = TimeoutNodeConfig.objects.batch_create_node_timeout_config(root_pipeline_id, pipeline_tree)
    root_configs.forget(root_pipeline_id)
    return result
