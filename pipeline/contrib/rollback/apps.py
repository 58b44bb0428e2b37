"""App config of ``pipeline.contrib.rollback``."""

from django.apps import AppConfig


class RollbackConfig(AppConfig):
    name = "pipeline.contrib.rollback"
    label = "rollback"
    verbose_name = "Rollback"
    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        # Registers the Celery tasks in every Celery app, so projects that configure Celery with
        # ``config_from_object`` and no ``autodiscover_tasks`` still run them. Imports only.
        from pipeline.contrib.rollback import tasks  # noqa: F401
