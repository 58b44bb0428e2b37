"""Sending again the messages of claims whose worker died and whose message never came back.

A claim's lease is the claimant's heartbeat: the lease keeper of a live worker renews it every third of
a lease (:class:`pipeline.eri.celery.delivery.LeaseKeeper`). When a worker dies, the broker normally
redelivers its unacknowledged messages and the redelivery takes the run over once the lease ended. When
no redelivery comes (a Celery retry whose publish was lost, a message acknowledged by a worker that died
before marking it done), the claim stays open with an expired lease. Each worker's maintenance loop
(:mod:`pipeline.eri.celery.maintenance`) sweeps such claims: a claim whose lease ended more than one
lease ago is sent again, unchanged (same token), so the next delivery takes it over exactly as a
redelivery would have. A dead worker's runs are therefore continued within about two lease periods.
"""

import json
import logging
from datetime import timedelta
from typing import Optional

from django.db.models import Q
from django.utils import timezone

from pipeline.eri.celery.delivery import lease_seconds, resend
from pipeline.eri.models import DeliveryClaim

logger = logging.getLogger(__name__)

SWEEP_BATCH = 100


def sweep_abandoned_claims(limit: int = SWEEP_BATCH) -> int:
    """Send again the messages of open claims whose lease ended over a lease ago; returns how many.

    Each one is taken with a conditional UPDATE of ``resent_at`` (so two sweeping workers never both
    send it) and sent again at most once per two lease periods while it stays abandoned.
    """
    now = timezone.now()
    lease = timedelta(seconds=lease_seconds())
    abandoned = (
        DeliveryClaim.objects.filter(lease_until__lt=now - lease, done=False)
        .filter(Q(resent_at__isnull=True) | Q(resent_at__lt=now - 2 * lease))
        .order_by("lease_until")
        .values_list("token", "resent_at", "message")[:limit]
    )
    sent = 0
    for token, resent_at, message in abandoned:
        if _take(token, resent_at, now) and _send_again(token, message):
            sent += 1
    return sent


def _take(token: str, resent_at: Optional[object], now) -> bool:
    claims = DeliveryClaim.objects.filter(token=token, done=False)
    if resent_at is None:
        claims = claims.filter(resent_at__isnull=True)
    else:
        claims = claims.filter(resent_at=resent_at)
    return bool(claims.update(resent_at=now))


def _send_again(token: str, message: str) -> bool:
    if not message:  # claimed before claims kept their message: only a redelivery can continue it
        logger.warning("claim sweep: message %s was abandoned by its worker and is not stored", token)
        return False
    data = json.loads(message)
    logger.warning("claim sweep: message %s was abandoned by its worker, sending it again", token)
    resend(data["task"], data["kwargs"])
    return True
