"""App config of ``pipeline.contrib.plugin_execute`` (a placeholder: the feature is not implemented yet)."""

from django.apps import AppConfig


class PluginExecuteConfig(AppConfig):
    name = "pipeline.contrib.plugin_execute"
    label = "plugin_execute"
    verbose_name = "Plugin execute (placeholder)"
    default_auto_field = "django.db.models.BigAutoField"
