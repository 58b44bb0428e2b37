"""App config of ``pipeline.contrib.periodic_task``."""

from django.apps import AppConfig


class PeriodicTaskConfig(AppConfig):
    name = "pipeline.contrib.periodic_task"
    label = "periodic_task"
    verbose_name = "Periodic task"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the start task in every Celery app of the process (beat and workers find it by
        # name without autodiscover_tasks). Imports only.
        from pipeline.contrib.periodic_task import tasks  # noqa: F401
