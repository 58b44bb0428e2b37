"""App config of ``pipeline.contrib.engine_admin`` (the console; its audit model is in ``pipeline.eri``)."""

from django.apps import AppConfig


class EngineAdminConfig(AppConfig):
    name = "pipeline.contrib.engine_admin"
    label = "engine_admin"
    verbose_name = "Engine admin console"
    default_auto_field = "django.db.models.BigAutoField"
