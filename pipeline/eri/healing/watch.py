"""How long each looked-at process has stayed exactly as it is (one ``HealingWatch`` row per process).

A process makes progress when any of the rows the engine writes for it change: heartbeat, current node,
node state or version, schedule counters or lock, join counters, children. Their digest is the
*fingerprint*; a watch keeps the fingerprint and the time it was first seen, and is reset when it
changes. Watches of processes that are no longer looked at (moved on, died, heartbeat fresh) are deleted.
"""

import hashlib
import json
from datetime import datetime
from typing import Dict, List, Tuple

from django.db import IntegrityError, transaction

from pipeline.eri.healing.snapshot import ProcessView
from pipeline.eri.models import HealingWatch

_BATCH = 500


def fingerprint(view: ProcessView) -> str:
    text = json.dumps(view.fingerprint_fields(), sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()


def unchanged_since(views: List[ProcessView], now: datetime, write: bool) -> Dict[int, Tuple[str, datetime]]:
    """``{process_id: (fingerprint, unchanged since)}``; with ``write``, watches are created, reset and
    cleaned up (a dry run only reads them: a process seen for the first time counts from ``now``)."""
    known = _known([view.process_id for view in views])
    result: Dict[int, Tuple[str, datetime]] = {}
    for view in views:
        digest = fingerprint(view)
        seen = known.get(view.process_id)
        if seen is not None and seen[0] == digest:
            result[view.process_id] = seen
            continue
        result[view.process_id] = (digest, now)
        if write:
            _restart(view.process_id, digest, now)
    if write:
        HealingWatch.objects.exclude(process_id__in=list(result)).delete()
    return result


def take(process_id: int, digest: str, since: datetime, now: datetime) -> bool:
    """Claim the right to act on a stuck process; False if another healer pass took it first.

    Restarting the watch also spaces out repeated re-dispatches of a process that stays stuck: the next
    one waits for another quiet period.
    """
    return bool(
        HealingWatch.objects.filter(process_id=process_id, fingerprint=digest, since=since).update(since=now)
    )


def _restart(process_id: int, digest: str, now: datetime) -> None:
    if HealingWatch.objects.filter(process_id=process_id).update(fingerprint=digest, since=now):
        return
    try:
        with transaction.atomic():
            HealingWatch.objects.create(process_id=process_id, fingerprint=digest, since=now)
    except IntegrityError:
        pass  # a concurrent pass started watching it at the same moment


def _known(process_ids: List[int]) -> Dict[int, Tuple[str, datetime]]:
    known: Dict[int, Tuple[str, datetime]] = {}
    for offset in range(0, len(process_ids), _BATCH):
        rows = HealingWatch.objects.filter(process_id__in=process_ids[offset : offset + _BATCH])
        for process_id, digest, since in rows.values_list("process_id", "fingerprint", "since"):
            known[process_id] = (digest, since)
    return known
