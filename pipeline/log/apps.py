"""App config of ``pipeline.log``: an empty stub kept so legacy settings load."""

from django.apps import AppConfig


class LogConfig(AppConfig):
    name = "pipeline.log"
    label = "log"
    verbose_name = "Legacy pipeline log"
    default_auto_field = "django.db.models.BigAutoField"
