"""The node timeout scanner: due timeouts become a ``TimeoutNodesRecord`` and a ``dispatch_timeout_nodes``
message (``PIPELINE_NODE_TIMEOUT_DISPATCH_QUEUE``), which fans out one ``execute_node_timeout_strategy``
message per timeout (``PIPELINE_NODE_TIMEOUT_HANDLE_QUEUE``)."""

import datetime
import json
from typing import Sequence

from django.utils import timezone

from pipeline.contrib.deadlines.backends import Every, send
from pipeline.contrib.deadlines.pool import Claim
from pipeline.contrib.deadlines.scanner import PassReport, Scanner
from pipeline.contrib.node_timeout.models import TimeoutNodesRecord
from pipeline.contrib.node_timeout.settings import node_timeout_settings
from pipeline.contrib.node_timeout.wiring import INDEX_TTL, timeout_ledger, timeout_pool

DISPATCH_TASK = "pipeline.contrib.node_timeout.tasks.dispatch_timeout_nodes"
HANDLE_TASK = "pipeline.contrib.node_timeout.tasks.execute_node_timeout_strategy"


def dispatch_claims(claims: Sequence[Claim]) -> None:
    """Record a batch of due timeouts and send the message that fans it out.

    Raises:
        whatever sending raises (the record is deleted again; the claims stay held and are retried).
    """
    record = TimeoutNodesRecord.objects.create(
        timeout_nodes=json.dumps([[claim.member, claim.due] for claim in claims])
    )
    try:
        send(DISPATCH_TASK, {"record_id": record.id}, node_timeout_settings.dispatch_queue)
    except Exception:
        record.delete()
        raise


def timeout_scanner() -> Scanner:
    """A scanner of the configured pool (``PIPELINE_NODE_TIMEOUT_CLAIM_LEASE`` seconds of lease)."""
    return Scanner(
        timeout_pool(),
        dispatch_claims,
        lease=float(node_timeout_settings.claim_lease),
        name="node timeout scanner",
    )


def purge_firings() -> None:
    """Forget firing records older than a node's longest possible run here (:data:`INDEX_TTL`)."""
    timeout_ledger().purge(timezone.now() - datetime.timedelta(seconds=INDEX_TTL))


#: Housekeeping after a pass: old firing records go once an hour.
purge_hourly = Every(purge_firings, 3600)


def run_pass() -> PassReport:
    """One scanner pass (the beat task's body)."""
    report = timeout_scanner().run_pass()
    purge_hourly()
    return report
