"""App config of ``pipeline.contrib.node_timer_event``."""

from django.apps import AppConfig


class NodeTimerEventConfig(AppConfig):
    name = "pipeline.contrib.node_timer_event"
    label = "node_timer_event"
    verbose_name = "Node timer event"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # the post_set_state receiver, and the tasks registered by name on every worker
        from pipeline.contrib.node_timer_event import tasks  # noqa: F401
        from pipeline.contrib.node_timer_event.signals import handlers  # noqa: F401
