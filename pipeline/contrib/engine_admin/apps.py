"""App config of ``pipeline.contrib.engine_admin`` (a placeholder: the feature is not implemented)."""

from django.apps import AppConfig


class EngineAdminConfig(AppConfig):
    name = "pipeline.contrib.engine_admin"
    label = "engine_admin"
    verbose_name = "Engine admin (placeholder)"
    default_auto_field = "django.db.models.BigAutoField"
