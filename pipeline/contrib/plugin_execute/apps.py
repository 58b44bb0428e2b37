"""App config of ``pipeline.contrib.plugin_execute``."""

from django.apps import AppConfig


class PluginExecuteConfig(AppConfig):
    name = "pipeline.contrib.plugin_execute"
    label = "plugin_execute"
    verbose_name = "Plugin execute"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from pipeline.contrib.plugin_execute import tasks  # noqa: F401 - registers the Celery tasks by name
