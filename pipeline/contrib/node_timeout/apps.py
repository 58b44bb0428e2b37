"""App config of ``pipeline.contrib.node_timeout`` (a placeholder: the feature is not implemented)."""

from django.apps import AppConfig


class NodeTimeoutConfig(AppConfig):
    name = "pipeline.contrib.node_timeout"
    label = "node_timeout"
    verbose_name = "Node timeout (placeholder)"
    default_auto_field = "django.db.models.BigAutoField"
