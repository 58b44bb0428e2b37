"""Signals of a periodic start, sent with ``sender=PeriodicTask``.

* ``pre_periodic_task_start(periodic_task, pipeline_instance, root_pipeline_id)``: the tree is ready,
  the run is not started yet;
* ``post_periodic_task_start(periodic_task, pipeline_instance, root_pipeline_id)``: the run started;
* ``periodic_task_start_failed(periodic_task, history)``: the start failed; ``history`` is the
  :class:`~pipeline.contrib.periodic_task.models.PeriodicTaskHistory` row holding the error.

``pipeline_instance`` is a :class:`~pipeline.contrib.periodic_task.starting.StartedPipeline` (its
``instance_id`` is the root pipeline id), so receivers written against ``pipeline_instance.instance_id``
keep working.
"""

from django.dispatch import Signal

pre_periodic_task_start = Signal()
post_periodic_task_start = Signal()
periodic_task_start_failed = Signal()
