"""The Celery task of the stuck-pipeline healer (``pipeline.eri.healing``).

Workers run healing passes by themselves (:mod:`pipeline.eri.celery.maintenance`); this task is for
projects that schedule the passes with beat instead (docs/healing.md). Two passes running at once do no
harm (each re-dispatch is claimed on the process's watch row).
"""

import logging

from celery import shared_task

from pipeline.eri.healing import healer

logger = logging.getLogger(__name__)

HEAL_STUCK_PIPELINES_TASK_NAME = "pipeline.eri.celery.healing_tasks.heal_stuck_pipelines"


@shared_task(name=HEAL_STUCK_PIPELINES_TASK_NAME, ignore_result=True)
def heal_stuck_pipelines(dry_run: bool = False):
    """One healing pass; returns a summary (counts per action)."""
    report = healer.heal_stuck_pipelines(dry_run=dry_run)
    summary = {"watched": report.watched, "suspected": report.suspected}
    for outcome in report.outcomes:
        summary[outcome.action] = summary.get(outcome.action, 0) + 1
    if report.count(healer.REDISPATCHED) or report.breaker_tripped:
        logger.warning("heal_stuck_pipelines: %s", summary)
    return summary
