"""One healing pass: look, confirm, act within the limits, and leave an audit record of every decision.

Per pass: read the processes of RUNNING root pipelines whose heartbeat is older than
``stale_seconds`` (:mod:`~pipeline.eri.healing.snapshot`), diagnose each one
(:mod:`~pipeline.eri.healing.rules`), and call a process *stuck* once its fingerprint stayed unchanged
for the finding's quiet period (:mod:`~pipeline.eri.healing.watch`). For a stuck process:

* a finding without a plan is reported (one ``reported`` record per fingerprint);
* the per-pipeline rate limit (re-dispatches in the last hour) holds it back: ``rate_limited``;
* the circuit breaker holds back everything after ``max_per_pass`` re-dispatches in this pass (one
  ``breaker_open`` record lists what was held back): a mass outage is an operator's problem, not
  something to answer with a flood of messages;
* otherwise the message is re-sent and a ``redispatched`` record written in the same transaction.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Tuple

from django.db import transaction
from django.utils import timezone

from bamboo_engine.metrics import labelled
from pipeline.eri.healing import metrics, watch
from pipeline.eri.healing.config import HealingConfig
from pipeline.eri.healing.redispatch import send
from pipeline.eri.healing.rules import REASONS, Finding, diagnose, unjoined
from pipeline.eri.healing.snapshot import ProcessView, stale_processes
from pipeline.eri.models import HealingRecord

logger = logging.getLogger(__name__)

REDISPATCHED = "redispatched"
REPORTED = "reported"
RATE_LIMITED = "rate_limited"
BREAKER_OPEN = "breaker_open"
FAILED = "failed"
WOULD_REDISPATCH = "would_redispatch"  # dry run
TAKEN = "taken_by_another_pass"  # a concurrent pass re-dispatched it
ACTIONS = (REDISPATCHED, REPORTED, RATE_LIMITED, BREAKER_OPEN, FAILED)
BREAKER_REASON = "circuit_breaker"


@dataclass(frozen=True)
class Outcome:
    """What the pass decided for one stuck process."""

    process_id: int
    root_pipeline_id: str
    node_id: str
    reason: str
    action: str
    detail: Dict[str, Any] = field(default_factory=dict)


@dataclass
class PassReport:
    """Result of one pass: what was looked at, what is still only suspected, what was decided."""

    dry_run: bool
    watched: int = 0
    suspected: int = 0
    outcomes: List[Outcome] = field(default_factory=list)
    breaker_tripped: bool = False

    def count(self, action: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.action == action)


class Healer:
    """Runs healing passes.

    Args:
        runtime: the runtime that sends the messages (default: a new ``BambooDjangoRuntime``).
        config: thresholds and limits (default: read from the settings).
        dry_run: decide and report, but write nothing and send nothing.
    """

    def __init__(self, runtime: Any = None, config: Optional[HealingConfig] = None, dry_run: bool = False):
        if runtime is None:
            from pipeline.eri.runtime import BambooDjangoRuntime

            runtime = BambooDjangoRuntime()
        self.runtime = runtime
        self.config = config or HealingConfig.from_settings()
        self.dry_run = dry_run

    def run_pass(self, now: Optional[datetime] = None) -> PassReport:
        """Look at every candidate once and act on the stuck ones."""
        now = now or timezone.now()
        report = PassReport(dry_run=self.dry_run)
        views = stale_processes(now, self.config.stale_seconds, self.config.scan_limit)
        report.watched = len(views)
        seen = watch.unchanged_since(views, now, write=not self.dry_run)
        stuck = self._confirmed(views, seen, now, report)
        held_back: List[Tuple[ProcessView, Finding]] = []
        for view, finding in stuck:
            if finding.plan is not None and self._budget_spent(report):
                held_back.append((view, finding))
                continue
            report.outcomes.append(self._act(view, finding, seen[view.process_id], now))
        if held_back:
            report.breaker_tripped = True
            report.outcomes.extend(self._open_breaker(held_back))
        self._observe(report, stuck)
        return report

    def _budget_spent(self, report: PassReport) -> bool:
        """The circuit breaker: this pass re-dispatched as much as one pass may."""
        sent = report.count(REDISPATCHED) + report.count(WOULD_REDISPATCH)
        return sent >= self.config.max_per_pass

    def _confirmed(
        self,
        views: List[ProcessView],
        seen: Dict[int, Tuple[str, datetime]],
        now: datetime,
        report: PassReport,
    ) -> List[Tuple[ProcessView, Finding]]:
        stuck = []
        # Children of a fork that died before its last unit are sent by their parent's re-dispatch.
        unjoined_parents = {view.process_id for view in views if unjoined(view)}
        for view in views:
            if view.parent_id in unjoined_parents:
                continue
            try:
                finding = diagnose(view, self.runtime, self.config)
            except Exception:  # one unreadable process must not stop the pass
                logger.exception("healing: diagnosing process(%s) failed", view.process_id)
                continue
            if finding is None:
                continue
            quiet_for = (now - seen[view.process_id][1]).total_seconds()
            if quiet_for < finding.quiet_seconds:
                report.suspected += 1
                continue
            stuck.append((view, finding))
        return stuck

    # -- decisions -------------------------------------------------------------------------------

    def _act(self, view: ProcessView, finding: Finding, seen: Tuple[str, datetime], now: datetime) -> Outcome:
        digest, since = seen
        labelled(metrics.STUCK_FOUND, reason=finding.reason).inc()
        if finding.plan is None:
            return self._record_once(view, finding, REPORTED, digest, {"note": finding.note})
        detail: Dict[str, Any] = {"plan": finding.plan.describe(), "unchanged_since": since.isoformat()}
        if self.dry_run:
            return _outcome(view, finding, WOULD_REDISPATCH, detail)
        if self._rate_limited(view.root_pipeline_id, now):
            labelled(metrics.RATE_LIMITED, reason=finding.reason).inc()
            detail["limit_per_hour"] = self.config.max_per_pipeline_per_hour
            return self._record_once(view, finding, RATE_LIMITED, digest, detail)
        return self._redispatch(view, finding, digest, since, now, detail)

    def _redispatch(
        self,
        view: ProcessView,
        finding: Finding,
        digest: str,
        since: datetime,
        now: datetime,
        detail: Dict[str, Any],
    ) -> Outcome:
        assert finding.plan is not None
        try:
            with transaction.atomic():
                if not watch.take(view.process_id, digest, since, now):
                    return _outcome(view, finding, TAKEN, detail)
                _write(view, finding, REDISPATCHED, digest, detail)
                send(self.runtime, finding.plan)  # published when the transaction commits
        except Exception as err:  # recorded, and the pass goes on with the next process
            logger.exception("healing: re-dispatch for process(%s) failed", view.process_id)
            detail["error"] = repr(err)
            return self._record_once(view, finding, FAILED, digest, detail)
        labelled(metrics.REDISPATCHES, reason=finding.reason, kind=finding.plan.kind).inc()
        logger.warning(
            "healing: process(%s) of pipeline(%s) stuck (%s) at node(%s): re-sent %s",
            view.process_id,
            view.root_pipeline_id,
            finding.reason,
            view.current_node_id,
            finding.plan.describe(),
        )
        return _outcome(view, finding, REDISPATCHED, detail)

    def _rate_limited(self, root_pipeline_id: str, now: datetime) -> bool:
        recent = HealingRecord.objects.filter(
            root_pipeline_id=root_pipeline_id, action=REDISPATCHED, created_at__gte=now - timedelta(hours=1)
        )
        return recent.count() >= self.config.max_per_pipeline_per_hour

    def _record_once(
        self, view: ProcessView, finding: Finding, action: str, digest: str, detail: Dict[str, Any]
    ) -> Outcome:
        """Record a decision unless the same one was recorded for this very fingerprint already."""
        if not self.dry_run:
            latest = (
                HealingRecord.objects.filter(process_id=view.process_id)
                .order_by("-id")
                .values_list("action", "fingerprint")
                .first()
            )
            if latest != (action, digest):
                _write(view, finding, action, digest, detail)
        return _outcome(view, finding, action, detail)

    def _open_breaker(self, held_back: List[Tuple[ProcessView, Finding]]) -> List[Outcome]:
        labelled(metrics.BREAKER_TRIPS).inc()
        for _, finding in held_back:
            labelled(metrics.STUCK_FOUND, reason=finding.reason).inc()
        held = [{"process_id": v.process_id, "root_pipeline_id": v.root_pipeline_id} for v, _ in held_back]
        detail = {"max_per_pass": self.config.max_per_pass, "held_back": held}
        logger.error(
            "healing: circuit breaker open, %s stuck processes held back after %s re-dispatches",
            len(held_back),
            self.config.max_per_pass,
        )
        if not self.dry_run:
            HealingRecord.objects.create(
                reason=BREAKER_REASON, action=BREAKER_OPEN, detail=json.dumps(detail)
            )
        return [
            _outcome(view, finding, BREAKER_OPEN, {"max_per_pass": self.config.max_per_pass})
            for view, finding in held_back
        ]

    def _observe(self, report: PassReport, stuck: List[Tuple[ProcessView, Finding]]) -> None:
        labelled(metrics.WATCHED).set(report.watched)
        for reason in REASONS:
            count = sum(1 for _, finding in stuck if finding.reason == reason)
            labelled(metrics.STUCK_NOW, reason=reason).set(count)


def _outcome(view: ProcessView, finding: Finding, action: str, detail: Dict[str, Any]) -> Outcome:
    return Outcome(
        view.process_id, view.root_pipeline_id, view.current_node_id, finding.reason, action, detail
    )


def _write(view: ProcessView, finding: Finding, action: str, digest: str, detail: Dict[str, Any]) -> None:
    HealingRecord.objects.create(
        root_pipeline_id=view.root_pipeline_id,
        process_id=view.process_id,
        node_id=view.current_node_id,
        reason=finding.reason,
        action=action,
        fingerprint=digest,
        detail=json.dumps(detail, default=str),
    )


def heal_stuck_pipelines(dry_run: bool = False, runtime: Any = None) -> PassReport:
    """Run one healing pass with the configured settings."""
    return Healer(runtime=runtime, dry_run=dry_run).run_pass()
