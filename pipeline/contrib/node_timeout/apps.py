"""App config of ``pipeline.contrib.node_timeout``."""

from django.apps import AppConfig


class NodeTimeoutConfig(AppConfig):
    name = "pipeline.contrib.node_timeout"
    label = "node_timeout"
    verbose_name = "Node timeout"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # the post_set_state receiver, and the tasks registered by name on every worker
        from pipeline.contrib.node_timeout import tasks  # noqa: F401
        from pipeline.contrib.node_timeout.signals import handlers  # noqa: F401
