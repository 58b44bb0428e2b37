"""Models of ``pipeline.contrib.node_timer_event``.

``NodeTimerEventConfig`` and ``ExpiredNodesRecord`` have upstream's names and fields.
``TimerEventDeadline`` (the deadlines when no Redis is configured) and ``TimerEventFiring`` (one row per
timer firing that acted; a cycle counts its repetitions there) are this implementation's.
"""

import json
import logging
from typing import Any, Dict, List, Optional, Tuple

from django.db import models, transaction

from pipeline.contrib.deadlines.database import ArmedDeadlineBase, DeadlineFiringBase
from pipeline.contrib.deadlines.tree import service_activities
from pipeline.contrib.node_timer_event.utils import parse_timer_defined

logger = logging.getLogger(__name__)


def _treated_events(act_id: str, act: Dict[str, Any]) -> Tuple[List[Dict[str, Any]], List[str]]:
    """The enabled, valid timers of one activity (numbered from 1) and the problems of the others."""
    events: List[Dict[str, Any]] = []
    problems: List[str] = []
    for timer_event in (act.get("events") or {}).get("timer_events") or []:
        if not timer_event.get("enable"):
            continue
        timer_type, defined = timer_event.get("timer_type"), timer_event.get("defined")
        try:
            timer_defined = parse_timer_defined(timer_type, defined)
        except (ValueError, TypeError) as err:
            problems.append(f"node {act_id}: timer {timer_type!r} {defined!r} refused: {err}")
            continue
        if not timer_event.get("action"):
            problems.append(f"node {act_id}: timer {timer_type!r} {defined!r} has no action")
            continue
        events.append(
            {
                "index": len(events) + 1,
                "action": timer_event["action"],
                "timer_type": timer_type,
                "repetitions": timer_defined["repetitions"],
                "defined": defined,
            }
        )
    return events, problems


class NodeTimerEventConfigManager(models.Manager):
    def parse_node_timer_event_configs(self, pipeline_tree: Dict[str, Any]) -> Dict[str, Any]:
        """The enabled timers of a tree's activities, subprocesses included.

        Returns:
            ``{"result": True, "data": [{"node_id", "events": [...]}], "message": ...}``; timers that do not
            parse (or have no action) are left out and named in ``message``.
        """
        configs: List[Dict[str, Any]] = []
        problems: List[str] = []
        for act_id, act in service_activities(pipeline_tree):
            events, refused = _treated_events(act_id, act)
            for problem in refused:
                logger.error("[parse_node_timer_event_configs] %s", problem)
            problems.extend(refused)
            if events:
                configs.append({"node_id": act_id, "events": events})
        return {"result": True, "data": configs, "message": "; ".join(problems)}

    def batch_create_node_timer_event_config(self, root_pipeline_id: str, pipeline_tree: Dict[str, Any]):
        """Store one config per activity with enabled timers (refused timers named in ``message``)."""
        parsed = self.parse_node_timer_event_configs(pipeline_tree)
        objs = [
            NodeTimerEventConfig(
                root_pipeline_id=root_pipeline_id,
                node_id=config["node_id"],
                events=json.dumps(config["events"]),
            )
            for config in parsed["data"]
        ]
        with transaction.atomic():
            objs = self.bulk_create(objs, batch_size=1000)
        return {"result": True, "data": objs, "message": parsed["message"]}


class NodeTimerEventConfig(models.Model):
    root_pipeline_id = models.CharField("root pipeline id", max_length=64)
    node_id = models.CharField("task node id", max_length=64, primary_key=True)
    events = models.TextField("timer events", default="[]", help_text="JSON list of the node's timers")

    objects = NodeTimerEventConfigManager()

    class Meta:
        verbose_name = "node timer event config"
        verbose_name_plural = "node timer event configs"
        indexes = [models.Index(fields=["root_pipeline_id", "node_id"], name="node_timer_root_node")]

    def __str__(self) -> str:
        return f"{self.node_id}: {self.events}"

    def get_events(self) -> List[Dict[str, Any]]:
        return json.loads(self.events)


class ExpiredNodesRecord(models.Model):
    id = models.BigAutoField("ID", primary_key=True)
    nodes = models.TextField("expired nodes", help_text="JSON list of [member, due] pairs")

    class Meta:
        verbose_name = "expired timer events record"
        verbose_name_plural = "expired timer events records"


class TimerEventDeadline(ArmedDeadlineBase):
    """An armed timer, when deadlines live in the database (no Redis configured)."""

    class Meta:
        verbose_name = "armed node timer"
        verbose_name_plural = "armed node timers"
        indexes = [
            models.Index(fields=["due"], name="node_timer_dl_due"),
            models.Index(fields=["node_id"], name="node_timer_dl_node"),
            models.Index(fields=["claim_token"], name="node_timer_dl_claim"),
        ]


class TimerEventFiring(DeadlineFiringBase):
    """A timer firing whose action ran."""

    class Meta:
        verbose_name = "fired node timer"
        verbose_name_plural = "fired node timers"
        indexes = [
            models.Index(fields=["member"], name="node_timer_fired_member"),
            models.Index(fields=["fired_at"], name="node_timer_fired_at"),
        ]


def load_events(node_id: str) -> Optional[Tuple[str, List[Dict[str, Any]]]]:
    """``(root_pipeline_id, events)`` of a node's config, None without one."""
    row = (
        NodeTimerEventConfig.objects.filter(node_id=node_id).values_list("root_pipeline_id", "events").first()
    )
    return (row[0], json.loads(row[1])) if row else None
