"""Periodic tasks and their start history.

The schedule itself is a django-celery-beat ``PeriodicTask`` row (``celery_task``): beat reads it, its
``enabled`` flag is the task's, and its message is ``bamboo_engine_periodic_task_start`` with
``{"period_task_id": <id>}``. This model keeps what a start needs: the tree snapshot, the data given to
the run, its queue and priority, and counts the successful starts.
"""

import copy
from typing import Any, Dict, Optional

from django.db import models, transaction

from pipeline.conf import settings
from pipeline.constants import PIPELINE_DEFAULT_PRIORITY
from pipeline.contrib.fields import SerializerField
from pipeline.contrib.periodic_task import cron as cron_rules
from pipeline.contrib.periodic_task.signals import periodic_task_start_failed
from pipeline.exceptions import InvalidOperationException

BAMBOO_ENGINE_TRIGGER_TASK = "pipeline.contrib.periodic_task.tasks.bamboo_engine_periodic_task_start"
#: Name of a task's beat row: unique per task, so two tasks may share a display name.
BEAT_NAME_FORMAT = "bamboo_periodic_task:{id}"


class PeriodicTaskManager(models.Manager):
    def create_task(
        self,
        name: str,
        pipeline_tree: Dict[str, Any],
        cron: cron_rules.Cron,
        creator: str = "",
        timezone: Optional[str] = None,
        extra_info: Optional[Dict[str, Any]] = None,
        priority: int = PIPELINE_DEFAULT_PRIORITY,
        queue: str = "",
        root_pipeline_data: Optional[Dict[str, Any]] = None,
        enabled: bool = True,
    ) -> "PeriodicTask":
        """Store a task and its beat schedule (one transaction); see ``pipeline.contrib.periodic_task.api``.

        Raises:
            InvalidCrontabException: ``cron`` is not a valid crontab.
            TreeInvalidException: ``pipeline_tree`` is not a valid pipeline (checked on a copy).
        """
        from django_celery_beat.models import PeriodicTask as BeatTask

        from bamboo_engine.validator import validate_and_process_pipeline

        fields = cron_rules.parse_cron(cron)
        validate_and_process_pipeline(copy.deepcopy(pipeline_tree), True)
        with transaction.atomic():
            task = self.create(
                name=name,
                pipeline_tree=pipeline_tree,
                root_pipeline_data=root_pipeline_data or {},
                cron=cron_rules.format_cron(fields),
                creator=creator,
                priority=priority,
                queue=queue,
                extra_info=extra_info,
            )
            task.celery_task = BeatTask.objects.create(
                name=BEAT_NAME_FORMAT.format(id=task.id),
                task=BAMBOO_ENGINE_TRIGGER_TASK,
                crontab=cron_rules.crontab_schedule(fields, timezone),
                kwargs=f'{{"period_task_id": {task.id}}}',
                queue=settings.BAMBOO_PERIODIC_TASK_START_QUEUE or None,
                enabled=enabled,
                description=name[:200],
            )
            task.save(update_fields=["celery_task"])
        return task


class PeriodicTask(models.Model):
    name = models.CharField("name", max_length=64)
    pipeline_tree = SerializerField("pipeline tree", help_text="snapshot started (with fresh ids) each time")
    root_pipeline_data = SerializerField("root pipeline data", default=dict)
    cron = models.CharField(
        "cron", max_length=128, help_text="minute hour day_of_month month_of_year day_of_week"
    )
    celery_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        verbose_name="beat schedule",
        null=True,
        on_delete=models.SET_NULL,
        related_name="bamboo_periodic_task",
    )
    total_run_count = models.PositiveIntegerField("successful starts", default=0)
    last_run_at = models.DateTimeField("last successful start", null=True, blank=True)
    creator = models.CharField("creator", max_length=32, default="", blank=True)
    priority = models.IntegerField("priority", default=PIPELINE_DEFAULT_PRIORITY)
    queue = models.CharField("queue", max_length=512, default="", blank=True)
    extra_info = SerializerField("extra info", null=True, blank=True)
    created_at = models.DateTimeField("created at", auto_now_add=True)

    objects = PeriodicTaskManager()

    class Meta:
        verbose_name = "periodic task"
        verbose_name_plural = "periodic tasks"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name}({self.id})"

    @property
    def enabled(self) -> bool:
        return bool(self.celery_task and self.celery_task.enabled)

    @property
    def execution_data(self) -> Dict[str, Any]:
        """The stored tree (each start runs a copy of it with fresh ids)."""
        return self.pipeline_tree

    def set_enabled(self, enabled: bool) -> None:
        """Switch the beat schedule on or off (beat notices the change at its next tick)."""
        if self.celery_task is None:
            raise InvalidOperationException(f"periodic task {self.id} has no beat schedule")
        self.celery_task.enabled = enabled
        self.celery_task.save(update_fields=["enabled"])

    def _require_disabled(self, what: str, must_disabled: bool) -> None:
        if must_disabled and self.enabled:
            raise InvalidOperationException(f"can not modify {what} of periodic task {self.id} while enabled")

    def modify_cron(
        self, cron: cron_rules.Cron, timezone: Optional[str] = None, must_disabled: bool = True
    ) -> None:
        """Change the schedule.

        Raises:
            InvalidOperationException: the task is enabled and ``must_disabled``.
            InvalidCrontabException: ``cron`` is not a valid crontab.
        """
        self._require_disabled("the cron", must_disabled)
        fields = cron_rules.parse_cron(cron)
        with transaction.atomic():
            self.cron = cron_rules.format_cron(fields)
            self.save(update_fields=["cron"])
            if self.celery_task is not None:
                self.celery_task.crontab = cron_rules.crontab_schedule(fields, timezone)
                self.celery_task.save(update_fields=["crontab"])

    def modify_constants(self, constants: Dict[str, Any], must_disabled: bool = True) -> Dict[str, Any]:
        """Set the values of existing root inputs (``{"${key}": value}``); returns the root inputs.

        Raises:
            InvalidOperationException: the task is enabled and ``must_disabled``, or a key is not an
                input of the root pipeline.
        """
        self._require_disabled("the constants", must_disabled)
        tree = copy.deepcopy(self.pipeline_tree)
        inputs = tree.setdefault("data", {}).setdefault("inputs", {})
        unknown = sorted(set(constants) - set(inputs))
        if unknown:
            raise InvalidOperationException(f"periodic task {self.id} has no root inputs {unknown}")
        for key, value in constants.items():
            inputs[key]["value"] = value
        self.pipeline_tree = tree
        self.save(update_fields=["pipeline_tree"])
        return inputs

    def delete(self, *args, **kwargs):
        """Delete the task, its history and its beat schedule."""
        with transaction.atomic():
            beat_task = self.celery_task
            result = super().delete(*args, **kwargs)
            if beat_task is not None:
                beat_task.delete()
        return result


class PeriodicTaskHistoryManager(models.Manager):
    def record_schedule(
        self,
        periodic_task: PeriodicTask,
        root_pipeline_id: str,
        ex_data: str,
        start_success: bool = True,
    ) -> "PeriodicTaskHistory":
        """Record one start; a failed one also sends ``periodic_task_start_failed``."""
        history = self.create(
            periodic_task=periodic_task,
            root_pipeline_id=root_pipeline_id,
            ex_data=ex_data,
            start_success=start_success,
            priority=periodic_task.priority,
            queue=periodic_task.queue,
        )
        if not start_success:
            periodic_task_start_failed.send(sender=PeriodicTask, periodic_task=periodic_task, history=history)
        return history


class PeriodicTaskHistory(models.Model):
    periodic_task = models.ForeignKey(
        PeriodicTask, verbose_name="periodic task", on_delete=models.CASCADE, related_name="histories"
    )
    root_pipeline_id = models.CharField(
        "root pipeline id", max_length=33, default="", blank=True, help_text="empty when the start failed"
    )
    ex_data = models.TextField("error", default="", blank=True)
    start_at = models.DateTimeField("start time", auto_now_add=True, db_index=True)
    start_success = models.BooleanField("started", default=True)
    priority = models.IntegerField("priority", default=PIPELINE_DEFAULT_PRIORITY)
    queue = models.CharField("queue", max_length=512, default="", blank=True)

    objects = PeriodicTaskHistoryManager()

    class Meta:
        verbose_name = "periodic task history"
        verbose_name_plural = "periodic task histories"
        ordering = ["-id"]

    def __str__(self) -> str:
        outcome = self.root_pipeline_id if self.start_success else "failed"
        return f"{self.periodic_task_id} at {self.start_at}: {outcome}"
