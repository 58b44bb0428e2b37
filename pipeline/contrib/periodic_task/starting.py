"""One start of a periodic task: a fresh copy of its tree run by the engine, and a history row.

Everything that can fail (the copy, the providers, the ``pre`` receivers, validation, preparing the
run) is inside one ``try``: a failure is recorded in the history (``start_success=False``, the error in
``ex_data``) and sends ``periodic_task_start_failed``; the run count and ``last_run_at`` are only
updated for a start that succeeded.
"""

import logging
import traceback
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from django.db.models import F
from django.utils import timezone

from bamboo_engine import api as engine_api
from bamboo_engine.utils.tree_ids import replace_all_ids
from pipeline.contrib.periodic_task import signals
from pipeline.contrib.periodic_task.context import (
    get_periodic_task_root_pipeline_context,
    get_periodic_task_subprocess_context,
)
from pipeline.contrib.periodic_task.models import PeriodicTask, PeriodicTaskHistory

logger = logging.getLogger(__name__)


@dataclass
class StartedPipeline:
    """What the start signals carry as ``pipeline_instance``: the run being started."""

    instance_id: str
    name: str
    pipeline_tree: Dict[str, Any] = field(repr=False)


class StartRefused(Exception):
    """The engine refused to start the run (its message is the engine's)."""


def _send(signal, task: PeriodicTask, started: StartedPipeline) -> None:
    signal.send(
        sender=PeriodicTask,
        periodic_task=task,
        pipeline_instance=started,
        root_pipeline_id=started.instance_id,
    )


def _start(task: PeriodicTask) -> StartedPipeline:
    tree, _ = replace_all_ids(task.pipeline_tree)
    run_name = f"{task.name[:113]}_{timezone.now().strftime('%Y%m%d%H%M%S')}"
    started = StartedPipeline(instance_id=tree["id"], name=run_name, pipeline_tree=tree)
    root_pipeline_data = dict(task.root_pipeline_data or {})
    root_pipeline_context = get_periodic_task_root_pipeline_context(root_pipeline_data)
    subprocess_context = get_periodic_task_subprocess_context(root_pipeline_data)
    _send(signals.pre_periodic_task_start, task, started)
    from pipeline.eri.runtime import BambooDjangoRuntime

    result = engine_api.run_pipeline(
        runtime=BambooDjangoRuntime(),
        pipeline=tree,
        root_pipeline_data=root_pipeline_data,
        root_pipeline_context=root_pipeline_context,
        subprocess_context=subprocess_context,
        queue=task.queue,
        priority=task.priority,
        cycle_tolerate=True,
    )
    if not result.result:
        raise StartRefused(f"{result.message}\n{result.exc_trace or ''}".strip())
    return started


def start_periodic_task(periodic_task_id: int) -> Optional[PeriodicTaskHistory]:
    """Start the task's pipeline once; None when the task no longer exists (deleted after beat sent)."""
    task = PeriodicTask.objects.select_related("celery_task").filter(id=periodic_task_id).first()
    if task is None:
        logger.warning("periodic task %s does not exist any more: nothing started", periodic_task_id)
        return None
    try:
        started = _start(task)
    except Exception:
        logger.exception("periodic task %s failed to start", task.id)
        return PeriodicTaskHistory.objects.record_schedule(
            periodic_task=task, root_pipeline_id="", ex_data=traceback.format_exc(), start_success=False
        )
    now = timezone.now()
    PeriodicTask.objects.filter(id=task.id).update(total_run_count=F("total_run_count") + 1, last_run_at=now)
    task.refresh_from_db(fields=["total_run_count", "last_run_at"])
    history = PeriodicTaskHistory.objects.record_schedule(
        periodic_task=task, root_pipeline_id=started.instance_id, ex_data=""
    )
    # After the history row: the run has started, whatever a receiver does.
    _send(signals.post_periodic_task_start, task, started)
    return history
