"""App config of ``pipeline.contrib.plugin_execute``."""

from django.apps import AppConfig


class PluginExecuteConfig(AppConfig):
    name = "pipeline.contrib.plugin_execute"
    label = "plugin_execute"
    verbose_name = "Plugin execute"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the Celery tasks in every Celery app, so projects that configure Celery with
        # ``config_from_object`` and no ``autodiscover_tasks`` still run them. Imports only.
        from pipeline.contrib.plugin_execute import tasks  # noqa: F401
