"""App config of the ``pipeline`` app (management commands: scaffolding, Celery wrappers, ...)."""

from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "pipeline"
    label = "pipeline"
    verbose_name = "Bamboo pipeline"
    default_auto_field = "django.db.models.BigAutoField"
