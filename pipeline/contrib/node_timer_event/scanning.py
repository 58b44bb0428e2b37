"""The timer event scanner: due timers become an ``ExpiredNodesRecord`` and a ``dispatch_expired_nodes``
message (``PIPELINE_NODE_TIMER_EVENT_DISPATCH_QUEUE``), which fans out one
``execute_node_timer_event_action`` message per timer (``PIPELINE_NODE_TIMER_EVENT_HANDLE_QUEUE``)."""

import datetime
import json
from typing import Sequence

from django.utils import timezone

from pipeline.contrib.deadlines.backends import Every, send
from pipeline.contrib.deadlines.pool import Claim
from pipeline.contrib.deadlines.scanner import PassReport, Scanner
from pipeline.contrib.node_timer_event.models import ExpiredNodesRecord
from pipeline.contrib.node_timer_event.settings import node_timer_event_settings
from pipeline.contrib.node_timer_event.wiring import timer_ledger, timer_pool

DISPATCH_TASK = "pipeline.contrib.node_timer_event.tasks.dispatch_expired_nodes"
HANDLE_TASK = "pipeline.contrib.node_timer_event.tasks.execute_node_timer_event_action"


def dispatch_claims(claims: Sequence[Claim]) -> None:
    """Record a batch of due timers and send the message that fans it out.

    Raises:
        whatever sending raises (the record is deleted again; the claims stay held and are retried).
    """
    record = ExpiredNodesRecord.objects.create(
        nodes=json.dumps([[claim.member, claim.due] for claim in claims])
    )
    try:
        send(DISPATCH_TASK, {"record_id": record.id}, node_timer_event_settings.dispatch_queue)
    except Exception:
        record.delete()
        raise


def timer_scanner() -> Scanner:
    """A scanner of the configured pool (``PIPELINE_NODE_TIMER_EVENT_CLAIM_LEASE`` seconds of lease)."""
    return Scanner(
        timer_pool(),
        dispatch_claims,
        lease=float(node_timer_event_settings.claim_lease),
        name="node timer event scanner",
    )


def purge_firings() -> None:
    """Forget firing records older than ``PIPELINE_NODE_TIMER_EVENT_MAX_EXPIRE_TIME``."""
    max_age = datetime.timedelta(seconds=int(node_timer_event_settings.max_expire_time))
    timer_ledger().purge(timezone.now() - max_age)


#: Housekeeping after a pass: old firing records go once an hour.
purge_hourly = Every(purge_firings, 3600)


def run_pass() -> PassReport:
    """One scanner pass (the beat task's body)."""
    report = timer_scanner().run_pass()
    purge_hourly()
    return report
