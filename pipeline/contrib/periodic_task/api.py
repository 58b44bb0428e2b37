"""Public functions of ``pipeline.contrib.periodic_task`` (each returns a ``PipelineContribAPIResult``).

The same operations are methods of the models (``PeriodicTask.objects.create_task``,
``PeriodicTask.set_enabled``, ``modify_cron``, ``modify_constants``, ``delete``), which raise instead.
"""

from typing import Any, Dict, Optional

from pipeline.constants import PIPELINE_DEFAULT_PRIORITY
from pipeline.contrib.periodic_task.cron import Cron
from pipeline.contrib.periodic_task.models import PeriodicTask
from pipeline.contrib.utils import ensure_return_pipeline_contrib_api_result


@ensure_return_pipeline_contrib_api_result
def create_periodic_task(
    name: str,
    pipeline_tree: Dict[str, Any],
    cron: Cron,
    creator: str = "",
    timezone: Optional[str] = None,
    priority: int = PIPELINE_DEFAULT_PRIORITY,
    queue: str = "",
    root_pipeline_data: Optional[Dict[str, Any]] = None,
    extra_info: Optional[Dict[str, Any]] = None,
    enabled: bool = True,
) -> int:
    """Store a periodic task and schedule it; ``.data`` is its id.

    Args:
        pipeline_tree: a tree as ``bamboo_engine.builder.build_tree`` makes it; each start runs a copy
            with fresh ids.
        cron: ``{"minute", "hour", "day_of_week", "day_of_month", "month_of_year"}`` or
            ``"minute hour day_of_month month_of_year day_of_week"``.
        timezone: of the cron (default ``TIME_ZONE``).
        queue, priority: of the runs (``run_pipeline`` options).
        root_pipeline_data: given to every run (and to the context providers).
    """
    task = PeriodicTask.objects.create_task(
        name=name,
        pipeline_tree=pipeline_tree,
        cron=cron,
        creator=creator,
        timezone=timezone,
        extra_info=extra_info,
        priority=priority,
        queue=queue,
        root_pipeline_data=root_pipeline_data,
        enabled=enabled,
    )
    return task.id


@ensure_return_pipeline_contrib_api_result
def set_periodic_task_enabled(periodic_task_id: int, enabled: bool) -> None:
    """Switch a task's schedule on or off."""
    PeriodicTask.objects.select_related("celery_task").get(id=periodic_task_id).set_enabled(enabled)


@ensure_return_pipeline_contrib_api_result
def modify_periodic_task_cron(
    periodic_task_id: int, cron: Cron, timezone: Optional[str] = None, must_disabled: bool = True
) -> str:
    """Change a task's cron; ``.data`` is the stored cron.

    Refused (``InvalidOperationException``) while the task is enabled, unless ``must_disabled=False``.
    """
    task = PeriodicTask.objects.select_related("celery_task").get(id=periodic_task_id)
    task.modify_cron(cron, timezone=timezone, must_disabled=must_disabled)
    return task.cron


@ensure_return_pipeline_contrib_api_result
def delete_periodic_task(periodic_task_id: int) -> None:
    """Delete a task, its history and its schedule."""
    PeriodicTask.objects.select_related("celery_task").get(id=periodic_task_id).delete()
