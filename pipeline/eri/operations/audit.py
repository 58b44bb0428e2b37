"""The audit trail of operator actions: a row before the action runs, completed once with its outcome."""

import json
from typing import Any, Mapping

from django.utils import timezone

from pipeline.eri.models import Node, OperatorAction, Process, State
from pipeline.eri.operations.catalog import PROCESS, ActionSpec
from pipeline.eri.operations.results import Outcome

#: Sources of an action, as recorded.
CONSOLE = "console"
ADMIN = "admin"
CODE = "code"


def begin(
    spec: ActionSpec, target_id: str, params: Mapping[str, Any], operator: str, source: str
) -> OperatorAction:
    """Record that ``operator`` asked for ``spec`` on ``target_id`` (the outcome is still unknown)."""
    return OperatorAction.objects.create(
        operator=operator[:150],
        source=source,
        action=spec.name,
        target_id=target_id[:64],
        root_pipeline_id=root_pipeline_of(spec, target_id),
        params=json.dumps(dict(params), ensure_ascii=False, sort_keys=True, default=str),
    )


def finish(record: OperatorAction, outcome: Outcome) -> None:
    """Complete ``record`` with the outcome (one update; the row is not touched again)."""
    OperatorAction.objects.filter(id=record.id).update(
        finished_at=timezone.now(), succeeded=outcome.result, message=outcome.message
    )


def root_pipeline_of(spec: ActionSpec, target_id: str) -> str:
    """The root pipeline an action's target belongs to, "" when the target is unknown."""
    if spec.target == PROCESS:
        if not target_id.isdigit():
            return ""
        process = Process.objects.filter(id=int(target_id))
        return process.values_list("root_pipeline_id", flat=True).first() or ""
    root_id = State.objects.filter(node_id=target_id).values_list("root_id", flat=True).first()
    if root_id:
        return root_id
    # A node that has not run yet has no state; its stored detail knows its run.
    return Node.objects.filter(node_id=target_id).values_list("root_pipeline_id", flat=True).first() or ""
