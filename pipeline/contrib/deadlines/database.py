"""Deadlines and firings in database tables: the pool used when no Redis is configured, and the ledger.

Each app has its own tables (concrete subclasses of the abstract models here, with their own named
indexes). The pool's statements:

* ``arm``: one ``INSERT`` (conflicts ignored: an armed member keeps its due time) and one ``UPDATE``
  re-arming members that are claimed;
* ``disarm``: one ``DELETE`` by node;
* ``claim``: ``SELECT`` of due, unheld rows (oldest first), ``UPDATE`` setting a fresh token and lease on
  those still unheld, ``SELECT`` of the rows carrying the token. The ``UPDATE`` re-checks "unheld" on
  each row under its row lock, so of two scanners racing for a row exactly one gets it;
* ``release``: ``DELETE`` of the released rows that still carry the token (a row re-armed since has
  lost it).
"""

import contextlib
import uuid
from collections import defaultdict
from typing import Dict, Iterator, List, Optional, Sequence, Type

from django.db import IntegrityError, models, transaction
from django.db.models import Q

from pipeline.contrib.deadlines.ledger import FiringLedger, firing_key
from pipeline.contrib.deadlines.pool import Claim, Deadline, DeadlinePool, due_time

_CHUNK = 500


class ArmedDeadlineBase(models.Model):
    """An armed deadline of the database pool."""

    member = models.CharField("member", max_length=255, unique=True, help_text="what the deadline is for")
    node_id = models.CharField("node id", max_length=64, help_text="the node that armed it")
    due = models.FloatField("due", help_text="epoch seconds at which it falls due")
    claim_token = models.CharField(
        "claim token", max_length=32, null=True, blank=True, help_text="the scanner pass holding it"
    )
    claimed_until = models.FloatField(
        "claimed until", null=True, blank=True, help_text="epoch seconds at which the hold ends"
    )

    class Meta:
        abstract = True


class DeadlineFiringBase(models.Model):
    """One firing whose action ran (the ledger)."""

    key = models.CharField("key", max_length=40, unique=True, help_text="sha1 of member and due time")
    member = models.CharField("member", max_length=255, help_text="the deadline that fired")
    due = models.FloatField("due", null=True, blank=True, help_text="epoch seconds it fell due at")
    fired_at = models.DateTimeField("fired at", auto_now_add=True, help_text="when its action ran")

    class Meta:
        abstract = True


def _unheld(now: float) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)


class DatabaseDeadlinePool(DeadlinePool):
    """Deadlines in the table of ``model`` (a concrete :class:`ArmedDeadlineBase`)."""

    def __init__(self, model: Type[ArmedDeadlineBase]) -> None:
        self.model = model

    def arm(self, node_id: str, deadlines: Sequence[Deadline]) -> None:
        if not deadlines:
            return
        rows = [self.model(member=member, node_id=node_id, due=due_time(due)) for member, due in deadlines]
        # a savepoint: a failed write here must not break the engine's transaction around a state change
        with transaction.atomic():
            self.model.objects.bulk_create(rows, ignore_conflicts=True)
            for member, due in deadlines:
                # a claimed member is being fired: this arm is its next firing (a timer cycle)
                self.model.objects.filter(member=member, claim_token__isnull=False).update(
                    node_id=node_id, due=due_time(due), claim_token=None, claimed_until=None
                )

    def disarm(self, node_ids: Sequence[str]) -> None:
        if node_ids:
            with transaction.atomic():
                self.model.objects.filter(node_id__in=list(node_ids)).delete()

    def claim(self, now: float, limit: int, lease: float) -> List[Claim]:
        candidates = list(
            self.model.objects.filter(_unheld(now), due__lte=now)
            .order_by("due")
            .values_list("pk", flat=True)[:limit]
        )
        if not candidates:
            return []
        token = uuid.uuid4().hex
        for start in range(0, len(candidates), _CHUNK):
            self.model.objects.filter(_unheld(now), pk__in=candidates[start : start + _CHUNK]).update(
                claim_token=token, claimed_until=now + lease
            )
        rows = self.model.objects.filter(claim_token=token).values_list("member", "due").order_by("due")
        return [Claim(member=member, due=due, receipt=token) for member, due in rows]

    def release(self, claims: Sequence[Claim]) -> None:
        by_token: Dict[str, List[str]] = defaultdict(list)
        for claim in claims:
            by_token[claim.receipt].append(claim.member)
        for token, members in by_token.items():
            for start in range(0, len(members), _CHUNK):
                self.model.objects.filter(
                    claim_token=token, member__in=members[start : start + _CHUNK]
                ).delete()

    def pending(self) -> int:
        return self.model.objects.count()

    def clear(self) -> None:
        self.model.objects.all().delete()

    def armed(self) -> dict:
        """Member → due of every row (tests)."""
        return dict(self.model.objects.values_list("member", "due"))


class DatabaseFiringLedger(FiringLedger):
    """Firings in the table of ``model`` (a concrete :class:`DeadlineFiringBase`).

    The record is inserted in the transaction that runs the action: a repeat attempt blocks on the
    unique key until the first one commits, then finds it and does nothing; a first attempt that dies
    leaves nothing behind.
    """

    def __init__(self, model: Type[DeadlineFiringBase]) -> None:
        self.model = model

    @contextlib.contextmanager
    def firing(self, member: str, due: Optional[float]) -> Iterator[bool]:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    self.model.objects.create(key=firing_key(member, due), member=member, due=due)
            except IntegrityError:
                yield False
                return
            yield True

    def count(self, member: str) -> int:
        return self.model.objects.filter(member=member).count()

    def purge(self, older_than) -> int:
        """Delete the records of firings before ``older_than`` (a datetime); returns how many."""
        deleted, _ = self.model.objects.filter(fired_at__lt=older_than).delete()
        return deleted
