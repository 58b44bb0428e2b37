"""``pipeline.contrib.periodic_task``: pipeline runs started on a cron schedule by Celery beat.

A :class:`~pipeline.contrib.periodic_task.models.PeriodicTask` keeps a snapshot of a pipeline tree with
its cron, queue and priority; its schedule is a django-celery-beat ``PeriodicTask`` whose message is the
task ``bamboo_engine_periodic_task_start``. Each start copies the tree with fresh ids, runs it with
``bamboo_engine.api.run_pipeline`` and records a
:class:`~pipeline.contrib.periodic_task.models.PeriodicTaskHistory` row, successful or not
(docs/periodic-task.md).
"""
