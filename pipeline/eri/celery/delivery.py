"""Claiming execute/schedule messages: at-least-once delivery without running one message twice at once.

Every message carries a unique ``delivery_token`` header. Before the engine runs, the consumer inserts
the token into ``DeliveryClaim`` with a *lease* (``lease_until``, kept alive by :class:`LeaseKeeper` while
the task body runs) and marks the claim ``done`` when the body returns. A later delivery of the token:

* ``done`` → a true duplicate (lost ack, visibility timeout): dropped;
* lease still running → the first delivery may still be running: re-sent after the lease ends;
* lease over, not done → the worker died (SIGKILL, OOM, power loss): taken over with a conditional
  UPDATE, exactly one of any number of concurrent redeliveries wins. What the taking-over task then
  runs is decided by :mod:`pipeline.eri.celery.takeover`.

See docs/delivery.md for the guarantees.
"""

import json
import logging
import os
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Dict, Iterator, Optional, Set, Tuple, Type

from django.db import close_old_connections
from django.utils import timezone

from pipeline.conf import settings
from pipeline.eri.imp import _sql
from pipeline.eri.imp.task import DELIVERY_TOKEN_HEADER
from pipeline.eri.models import DeliveryClaim

logger = logging.getLogger(__name__)

# A deferred delivery comes back this long after the lease it waits for ends (the keeper of a live
# claimant renews a third of a lease early, so a live run has always extended by then).
DEFER_MARGIN_SECONDS = 1.0


class Verdict(Enum):
    """What a delivery does after claiming."""

    RUN = "run"  # first delivery of the token, or a message without a token
    TAKE_OVER = "take_over"  # the claimant died: continue its run
    DEFER = "defer"  # the claimant may still be running: try again once its lease ends
    DROP = "drop"  # the message ran already, or another redelivery took it over


@dataclass(frozen=True)
class Claim:
    """The outcome of :func:`claim_delivery`.

    Attributes:
        token: the claimed token (None for a message without one).
        claimed_at: when the FIRST delivery claimed the message (TAKE_OVER: tells what the dead run did).
        retry_after: DEFER: seconds until the blocking lease ends.
    """

    verdict: Verdict
    token: Optional[str] = None
    claimed_at: Optional[datetime] = None
    retry_after: float = 0.0

    @property
    def runs(self) -> bool:
        return self.verdict in (Verdict.RUN, Verdict.TAKE_OVER)


def lease_seconds() -> float:
    """``BAMBOO_DJANGO_ERI_DELIVERY_LEASE_SECONDS`` (default 30)."""
    return float(settings.BAMBOO_DJANGO_ERI_DELIVERY_LEASE_SECONDS)


def owner_name() -> str:
    """``host:pid`` of this worker process (read per call: prefork children have their own pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_delivery(
    task_name: str, headers: Optional[dict], message: Optional[Dict[str, Any]] = None
) -> Claim:
    """Claim the message of ``headers`` for this worker; the verdict says whether and how it runs.

    Messages without a token (sent by an older producer, or by hand) run as before.

    Args:
        message: the task's keyword arguments, kept with the claim so that the claim sweep
            (:mod:`pipeline.eri.celery.sweep`) can send it again if this worker dies and no redelivery
            comes.
    """
    token = (headers or {}).get(DELIVERY_TOKEN_HEADER)
    if not token or not settings.BAMBOO_DJANGO_ERI_DEDUPE_DELIVERIES:
        return Claim(Verdict.RUN)
    now = timezone.now()
    lease = timedelta(seconds=lease_seconds())
    claim = {
        "token": token,
        "claimed_at": now,
        "owner": owner_name(),
        "lease_until": now + lease,
        "done": False,
        "message": _kept(task_name, message),
    }
    if _sql.insert(DeliveryClaim, claim) is not None:
        keeper.hold(token)
        return Claim(Verdict.RUN, token)
    return _claimed_before(task_name, token, now, lease)


def _kept(task_name: str, message: Optional[Dict[str, Any]]) -> str:
    """The message as the claim keeps it for the sweep ("" when there is none or it is not JSON)."""
    if message is None:
        return ""
    try:
        return json.dumps({"task": task_name, "kwargs": message})
    except (TypeError, ValueError):  # arrived through another serializer: only a redelivery can replay it
        return ""


def _claimed_before(task_name: str, token: str, now: datetime, lease: timedelta) -> Claim:
    row = (
        DeliveryClaim.objects.filter(token=token)
        .values_list("done", "lease_until", "claimed_at", "owner")
        .first()
    )
    if row is None:  # removed by the daily cleanup: far older than any redelivery can be
        logger.warning("%s: delivery of message %s with a purged claim dropped", task_name, token)
        return Claim(Verdict.DROP, token)
    done, lease_until, claimed_at, owner = row
    if done:
        logger.warning("%s: duplicate delivery of message %s dropped", task_name, token)
        return Claim(Verdict.DROP, token)
    if lease_until is not None and lease_until > now:
        retry_after = (lease_until - now).total_seconds() + DEFER_MARGIN_SECONDS
        logger.info("%s: message %s is being run by %s, retry in %.0fs", task_name, token, owner, retry_after)
        return Claim(Verdict.DEFER, token, claimed_at, retry_after)
    # Compare-and-set on the lease we read: of several concurrent redeliveries exactly one matches.
    took = DeliveryClaim.objects.filter(token=token, done=False, lease_until=lease_until).update(
        owner=owner_name(), lease_until=now + lease
    )
    if not took:
        logger.warning("%s: message %s was taken over by another delivery, dropped", task_name, token)
        return Claim(Verdict.DROP, token)
    logger.warning(
        "%s: taking over message %s from %s (lease ended %s)", task_name, token, owner, lease_until
    )
    keeper.hold(token)
    return Claim(Verdict.TAKE_OVER, token, claimed_at)


def finish_claim(token: Optional[str]) -> None:
    """Mark the claim done (one UPDATE): later deliveries of the token are duplicates.

    A done claim has no lease (NULL), which keeps it out of the claim sweep's index range.
    """
    if not token:
        return
    keeper.release(token)
    try:
        _sql.update(DeliveryClaim, {"token": token}, {"done": True, "lease_until": None})
    except Exception:  # the message did run; a redelivery would find the process settled
        logger.exception("marking the claim of message %s done failed", token)


@contextmanager
def holding(claim: Claim, retried_errors: Tuple[Type[BaseException], ...] = ()) -> Iterator[None]:
    """Run a claimed task body: done when it returns or raises an ``Exception``.

    A ``BaseException`` that is not an ``Exception`` (``SystemExit``, ``KeyboardInterrupt``, a gevent
    kill) means the worker is going away mid-run, and ``retried_errors`` are re-sent by Celery's
    ``autoretry_for``: in both cases the claim stays open and its lease stops being renewed, so the next
    delivery (the broker's, or Celery's retry) takes the message over once the lease ended.

    Args:
        retried_errors: exception types the task retries itself (its ``autoretry_for``).
    """
    try:
        yield
    except retried_errors:
        _abandon(claim)
        raise
    except Exception:
        finish_claim(claim.token)
        raise
    except BaseException:
        _abandon(claim)
        raise
    else:
        finish_claim(claim.token)


def _abandon(claim: Claim) -> None:
    if claim.token:
        keeper.release(claim.token)


class LeaseKeeper:
    """Renews the leases of the claims this worker process is running: one UPDATE every third of a lease.

    One daemon thread per process (a greenlet under gevent), started on first use and again after a fork.
    It dies with the process, which is exactly when the leases must stop being renewed.
    """

    def __init__(self) -> None:
        self._tokens: Set[str] = set()
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self._pid = 0

    def hold(self, token: str) -> None:
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's thread and tokens are not ours
                self._tokens, self._thread, self._pid = set(), None, os.getpid()
            self._tokens.add(token)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="eri-lease-keeper", daemon=True)
                self._thread.start()

    def release(self, token: str) -> None:
        with self._lock:
            self._tokens.discard(token)

    def held(self) -> Set[str]:
        with self._lock:
            return set(self._tokens)

    def renew(self) -> int:
        """Extend every held lease now; returns how many claims were extended."""
        tokens = self.held()
        if not tokens:
            return 0
        until = timezone.now() + timedelta(seconds=lease_seconds())
        # ``owner``: a claim taken over from this worker (it stalled past its lease) is not renewed.
        return DeliveryClaim.objects.filter(token__in=tokens, done=False, owner=owner_name()).update(
            lease_until=until
        )

    def _run(self) -> None:
        wake = threading.Event()
        while True:
            wake.wait(lease_seconds() / 3)
            try:
                close_old_connections()
                self.renew()
            except Exception:  # retried next round; the lease has two more rounds to go
                logger.exception("renewing delivery leases failed")


keeper = LeaseKeeper()


def delete_expired_claims() -> int:
    """Delete claims older than ``BAMBOO_DJANGO_ERI_DELIVERY_CLAIM_DAYS``; returns how many."""
    expired = timezone.now() - timedelta(days=settings.BAMBOO_DJANGO_ERI_DELIVERY_CLAIM_DAYS)
    deleted, _ = DeliveryClaim.objects.filter(claimed_at__lt=expired).delete()
    return deleted


def resend_later(task_name: str, kwargs: Dict[str, Any], countdown: float) -> None:
    """Re-send a message unchanged (same token) after ``countdown`` seconds, to its run's queue."""
    resend(task_name, kwargs, max(countdown, 1.0))


def resend(task_name: str, kwargs: Dict[str, Any], countdown: float = 0.0) -> None:
    """Send a message again unchanged (same token), through the outbox, to its run's queue."""
    from pipeline.eri import outbox
    from pipeline.eri.celery.queues import QueueResolver
    from pipeline.eri.imp import task as task_module
    from pipeline.eri.imp.process import process_route

    route = (kwargs.get("headers") or {}).get("route_info") or {}
    if "queue" in route:
        queue, priority = route["queue"], route.get("priority")
    else:
        known = process_route(kwargs["process_id"])
        if known is None:
            logger.warning("%s for process %s dropped: no such process", task_name, kwargs["process_id"])
            return
        queue, priority = known
    routing_queue, routing_key = QueueResolver(queue).resolve_task_queue_and_routing_key(task_name)
    options: Dict[str, Any] = {"queue": routing_queue, "routing_key": routing_key}
    if countdown > 0:
        options["countdown"] = countdown
    if priority is not None:
        options["priority"] = priority
    # ``publish`` is looked up when the message is published, so tests can swap the module's publisher.
    outbox.send(task_name, kwargs, options, lambda *message: task_module.publish(*message))
