"""App config of ``pipeline.contrib.rollback`` (a placeholder: the feature is not implemented)."""

from django.apps import AppConfig


class RollbackConfig(AppConfig):
    name = "pipeline.contrib.rollback"
    label = "rollback"
    verbose_name = "Rollback (placeholder)"
    default_auto_field = "django.db.models.BigAutoField"
