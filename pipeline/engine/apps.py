"""App config of ``pipeline.engine``: an empty stub kept so legacy settings load."""

from django.apps import AppConfig


class EngineConfig(AppConfig):
    name = "pipeline.engine"
    label = "engine"
    verbose_name = "Legacy pipeline engine"
    default_auto_field = "django.db.models.BigAutoField"
