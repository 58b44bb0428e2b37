"""App config of ``pipeline.contrib.periodic_task`` (a placeholder: the feature is not implemented)."""

from django.apps import AppConfig


class PeriodicTaskConfig(AppConfig):
    name = "pipeline.contrib.periodic_task"
    label = "periodic_task"
    verbose_name = "Periodic task (placeholder)"
    default_auto_field = "django.db.models.BigAutoField"
