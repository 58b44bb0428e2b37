"""The Celery task beat sends for a periodic task; the work is in :mod:`.starting`.

At most once: acknowledged on receipt (no ``acks_late``), since a redelivered start would start a
second run, while a lost one is followed by the next tick.
"""

from celery import shared_task

from pipeline.contrib.periodic_task.models import BAMBOO_ENGINE_TRIGGER_TASK


@shared_task(name=BAMBOO_ENGINE_TRIGGER_TASK, ignore_result=True, acks_late=False)
def bamboo_engine_periodic_task_start(*args, **kwargs) -> None:
    """Start the periodic task ``kwargs["period_task_id"]`` (the key beat rows carry)."""
    from pipeline.contrib.periodic_task.starting import start_periodic_task

    start_periodic_task(int(kwargs["period_task_id"]))
