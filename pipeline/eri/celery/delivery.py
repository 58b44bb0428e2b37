"""Recognising duplicate deliveries of execute/schedule messages (docs/delivery.md).

Every message carries a unique ``delivery_token`` header. Before the engine runs, the consumer inserts
the token into ``DeliveryClaim``; the unique index makes exactly one delivery of a message win, and any
other delivery of it (a broker redelivery after a lost ack, a visibility-timeout redelivery) is dropped
without touching anything else.
"""

import logging
from datetime import timedelta
from typing import Optional

from django.utils import timezone

from pipeline.conf import settings
from pipeline.eri.imp._db import insert_or_none
from pipeline.eri.imp.task import DELIVERY_TOKEN_HEADER
from pipeline.eri.models import DeliveryClaim

logger = logging.getLogger(__name__)


def claim_delivery(task_name: str, headers: Optional[dict]) -> bool:
    """True when this delivery may run: first delivery of its token, or a message without a token.

    Messages without a token (sent by an older producer, or by hand) run as before.
    """
    token = (headers or {}).get(DELIVERY_TOKEN_HEADER)
    if not token or not settings.BAMBOO_DJANGO_ERI_DEDUPE_DELIVERIES:
        return True
    if insert_or_none(DeliveryClaim, token=token) is not None:
        return True
    logger.warning("%s: duplicate delivery of message %s dropped", task_name, token)
    return False


def delete_expired_claims() -> int:
    """Delete claims older than ``BAMBOO_DJANGO_ERI_DELIVERY_CLAIM_DAYS``; returns how many."""
    expired = timezone.now() - timedelta(days=settings.BAMBOO_DJANGO_ERI_DELIVERY_CLAIM_DAYS)
    deleted, _ = DeliveryClaim.objects.filter(claimed_at__lt=expired).delete()
    return deleted
