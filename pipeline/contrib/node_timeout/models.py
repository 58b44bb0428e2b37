"""Models of ``pipeline.contrib.node_timeout``.

``TimeoutNodeConfig`` and ``TimeoutNodesRecord`` have upstream's names and fields. ``TimeoutDeadline``
(the deadlines when no Redis is configured) and ``TimeoutFiring`` (one row per timeout that acted) are
this implementation's.
"""

import logging
from typing import Any, Dict, List, Optional, Tuple

from django.db import models, transaction

from pipeline.contrib.deadlines.database import ArmedDeadlineBase, DeadlineFiringBase
from pipeline.contrib.deadlines.tree import service_activities

logger = logging.getLogger(__name__)


def _seconds(value: Any) -> Optional[int]:
    """A positive whole number of seconds (an int, or a string of digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and value > 0 else None


def _activity_config(act_id: str, act: Dict[str, Any]) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """The config row of one activity (or None), and why its config was refused (or None)."""
    timeout_config = act.get("timeout_config") or {}
    if not timeout_config.get("enable"):
        return None, None
    seconds = _seconds(timeout_config.get("seconds"))
    if seconds is None:
        return (
            None,
            f"node {act_id}: timeout seconds must be a positive integer, "
            f"got {timeout_config.get('seconds')!r}",
        )
    action = timeout_config.get("action")
    if not action or not isinstance(action, str):
        return None, f"node {act_id}: timeout action must be a name, got {action!r}"
    return {"action": action, "node_id": act_id, "timeout": seconds}, None


class TimeoutNodeConfigManager(models.Manager):
    def parse_node_timeout_configs(self, pipeline_tree: dict) -> dict:
        """The enabled timeout configs of a tree's activities, subprocesses included.

        Returns:
            ``{"result": True, "data": [{"action", "node_id", "timeout"}], "message": ...}``; configs that
            are refused (seconds not a positive integer, no action) are left out and named in ``message``.
        """
        configs: List[Dict[str, Any]] = []
        refused: List[str] = []
        for config, problem in (_activity_config(*item) for item in service_activities(pipeline_tree)):
            if problem:
                logger.error("[parse_node_timeout_configs] %s", problem)
                refused.append(problem)
            elif config:
                configs.append(config)
        return {"result": True, "data": configs, "message": "; ".join(refused)}

    def batch_create_node_timeout_config(self, root_pipeline_id: str, pipeline_tree: dict) -> dict:
        """Store one config per enabled activity of the tree (refused configs are named in ``message``)."""
        parsed = self.parse_node_timeout_configs(pipeline_tree)
        objs = [
            TimeoutNodeConfig(
                root_pipeline_id=root_pipeline_id,
                action=config["action"],
                node_id=config["node_id"],
                timeout=config["timeout"],
            )
            for config in parsed["data"]
        ]
        with transaction.atomic():
            objs = self.bulk_create(objs, batch_size=1000)
        return {"result": True, "data": objs, "message": parsed["message"]}


class TimeoutNodeConfig(models.Model):
    root_pipeline_id = models.CharField("root pipeline id", max_length=64)
    action = models.CharField("action", max_length=32, help_text="a key of PIPELINE_NODE_TIMEOUT_HANDLER")
    node_id = models.CharField("task node id", max_length=64, primary_key=True)
    timeout = models.IntegerField("node timeout time", help_text="seconds the node may stay RUNNING")

    objects = TimeoutNodeConfigManager()

    class Meta:
        verbose_name = "node timeout config"
        verbose_name_plural = "node timeout configs"
        indexes = [models.Index(fields=["root_pipeline_id", "node_id"], name="node_timeout_root_node")]

    def __str__(self) -> str:
        return f"{self.node_id}: {self.action} after {self.timeout}s"


class TimeoutNodesRecord(models.Model):
    id = models.BigAutoField("ID", primary_key=True)
    timeout_nodes = models.TextField("timed-out nodes", help_text="JSON list of [member, due] pairs")

    class Meta:
        verbose_name = "timed-out nodes record"
        verbose_name_plural = "timed-out nodes records"


class TimeoutDeadline(ArmedDeadlineBase):
    """An armed timeout, when deadlines live in the database (no Redis configured)."""

    class Meta:
        verbose_name = "armed node timeout"
        verbose_name_plural = "armed node timeouts"
        indexes = [
            models.Index(fields=["due"], name="node_timeout_dl_due"),
            models.Index(fields=["node_id"], name="node_timeout_dl_node"),
            models.Index(fields=["claim_token"], name="node_timeout_dl_claim"),
        ]


class TimeoutFiring(DeadlineFiringBase):
    """A timeout whose action ran (at most one per node run)."""

    class Meta:
        verbose_name = "fired node timeout"
        verbose_name_plural = "fired node timeouts"
        indexes = [
            models.Index(fields=["member"], name="node_timeout_fired_member"),
            models.Index(fields=["fired_at"], name="node_timeout_fired_at"),
        ]
