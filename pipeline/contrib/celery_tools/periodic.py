"""``periodic_task``: declare a Celery task and its beat schedule in one decorator.

    @periodic_task(run_every=crontab(minute=0, hour=0), name="myapp.tasks.cleanup")
    def cleanup(): ...

The task is registered in every Celery app of the process (as ``shared_task`` does), and each app's
beat schedule gets an entry named after the task. ``run_every`` is a number of seconds, a
``timedelta`` or a Celery schedule (``crontab``, ``solar``); ``relative`` and ``options`` (the
``apply_async`` options of each message) are optional; every other keyword is a Celery task option.
Results are ignored unless ``ignore_result=False`` is given.
"""

from typing import Any

from celery import Task, shared_task
from celery.schedules import maybe_schedule


class PipelinePeriodicTask(Task):
    """Base of the tasks :func:`periodic_task` makes: binding to an app adds its beat entry."""

    abstract = True
    ignore_result = True
    relative = False
    options: Any = None
    run_every: Any = None

    @classmethod
    def on_bound(cls, app) -> None:
        if cls.run_every is None:  # this base class itself
            return
        app.add_periodic_task(
            maybe_schedule(cls.run_every, cls.relative, app=app),
            app.signature(cls.name),
            name=cls.name,
            **(cls.options or {}),
        )


def periodic_task(*args: Any, **options: Any):
    """A ``shared_task`` decorator whose task beat runs every ``run_every``.

    Raises:
        TypeError: ``run_every`` is missing.
    """
    if options.get("run_every") is None:
        raise TypeError("periodic_task() needs run_every (seconds, a timedelta or a Celery schedule)")
    return shared_task(*args, **{"base": PipelinePeriodicTask, **options})
