"""The timer action of benchmark/deadlines.py, importable by its worker processes (``CELERY_IMPORTS``)."""

from pipeline.contrib.node_timer_event.handlers import BaseAction

ACTION = "benchmark_noop"


class NoopAction(BaseAction):
    """Does nothing and reads nothing: the benchmark times the machinery around actions."""

    def notify(self, *args, **kwargs) -> bool:
        return True

    def do(self, data, parent_data, *args, **kwargs) -> bool:
        return True

    class Meta:
        action_name = ACTION
