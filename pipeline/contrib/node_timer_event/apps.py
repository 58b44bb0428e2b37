"""App config of ``pipeline.contrib.node_timer_event`` (a placeholder: the feature is not implemented)."""

from django.apps import AppConfig


class NodeTimerEventConfig(AppConfig):
    name = "pipeline.contrib.node_timer_event"
    label = "node_timer_event"
    verbose_name = "Node timer event (placeholder)"
    default_auto_field = "django.db.models.BigAutoField"
