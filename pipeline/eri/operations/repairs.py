"""Repairs below the engine's api: release a schedule lock, re-dispatch a stuck process through the healer.

Both act on rows a worker may be using, so both check first that nothing is working on them any more,
and refuse otherwise (the message says what was found).
"""

import json
from datetime import timedelta
from typing import Any, Dict

from django.db import transaction
from django.utils import timezone

from bamboo_engine import states
from pipeline.eri.healing import watch
from pipeline.eri.healing.config import HealingConfig
from pipeline.eri.healing.healer import REDISPATCHED
from pipeline.eri.healing.redispatch import send
from pipeline.eri.healing.rules import diagnose
from pipeline.eri.healing.snapshot import ProcessView, process_views
from pipeline.eri.models import HealingRecord, Process, Schedule, State
from pipeline.eri.operations.engine_calls import Call
from pipeline.eri.operations.results import ActionRefused, InvalidParams, TargetNotFound


def node_release_schedule_lock(call: Call) -> Dict[str, Any]:
    """Unlock the schedule of a RUNNING node's current version, left locked by a poll or callback that died.

    The conditional update releases only a lock that is still held by an unfinished schedule. Nothing is
    re-sent: re-dispatch the node's process afterwards (or let the healer do it).
    """
    state = call.runtime.get_state_or_none(call.target_id)
    if state is None:
        raise TargetNotFound(f"node({call.target_id}) has no state")
    if state.name != states.RUNNING:
        raise ActionRefused(
            f"node({call.target_id}) is {state.name}: only a RUNNING node holds a schedule lock"
        )
    released = Schedule.objects.filter(
        node_id=call.target_id, version=state.version, scheduling=True, finished=False, expired=False
    ).update(scheduling=False)
    if not released:
        raise ActionRefused(f"node({call.target_id}) has no locked schedule at its version {state.version}")
    return {"node_id": call.target_id, "version": state.version}


def process_redispatch(call: Call) -> Dict[str, Any]:
    """Re-send the message a stuck process waits for, as the healer would, without its quiet period.

    The healer's rules decide what is missing (:func:`pipeline.eri.healing.rules.diagnose`); the operator's
    request stands in for the healer's confirmation that nothing changed for a while. The process must
    still be one the healer would look at: alive, not suspended or frozen, its root RUNNING and its
    heartbeat older than ``BAMBOO_HEALING_STALE_SECONDS`` (a fresh heartbeat means a worker is on it).
    The re-dispatch is written as a ``HealingRecord`` too, so the healer's rate limit counts it.
    """
    config = HealingConfig.from_settings()
    view = _stale_view(_process_id(call.target_id), config)
    finding = diagnose(view, call.runtime, config)
    if finding is None:
        raise ActionRefused(
            f"process({view.process_id}) is not stuck: it waits for something that can still come "
            "(a callback, an operator, its children or a poll that is not due)"
        )
    if finding.plan is None:
        raise ActionRefused(
            f"process({view.process_id}) looks stuck ({finding.reason}: {finding.note}) but re-sending "
            "could run a service twice; the healer only reports this case"
        )
    plan = finding.plan.describe()
    with transaction.atomic():
        HealingRecord.objects.create(
            root_pipeline_id=view.root_pipeline_id,
            process_id=view.process_id,
            node_id=view.current_node_id,
            reason=finding.reason,
            action=REDISPATCHED,
            fingerprint=watch.fingerprint(view),
            detail=json.dumps({"plan": plan, "operator": call.operator}, default=str),
        )
        send(call.runtime, finding.plan)  # published when the record commits
    return {"reason": finding.reason, "plan": plan}


def _process_id(target_id: str) -> int:
    try:
        return int(target_id)
    except ValueError:
        raise InvalidParams(f"a process id is a number, got {target_id!r}")


def _stale_view(process_id: int, config: HealingConfig) -> ProcessView:
    flags = Process.objects.filter(id=process_id).values_list("dead", "suspended", "frozen").first()
    views = process_views([process_id])
    if flags is None or not views:
        raise TargetNotFound(f"process({process_id}) does not exist")
    dead, suspended, frozen = flags
    if dead or suspended or frozen:
        what = "dead" if dead else ("suspended" if suspended else "frozen")
        raise ActionRefused(f"process({process_id}) is {what}: there is nothing to re-send")
    view = views[0]
    _require_running_root(view)
    oldest_fresh = timezone.now() - timedelta(seconds=config.stale_seconds)
    if view.last_heartbeat is not None and view.last_heartbeat > oldest_fresh:
        raise ActionRefused(
            f"process({process_id}) beat at {view.last_heartbeat.isoformat()}, less than "
            f"{config.stale_seconds:g}s ago (BAMBOO_HEALING_STALE_SECONDS): a worker may still be on it"
        )
    return view


def _require_running_root(view: ProcessView) -> None:
    name = State.objects.filter(node_id=view.root_pipeline_id).values_list("name", flat=True).first()
    if name != states.RUNNING:
        raise ActionRefused(
            f"pipeline({view.root_pipeline_id}) is {name or 'unknown'}: "
            "only a RUNNING pipeline is re-dispatched"
        )
