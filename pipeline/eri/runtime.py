"""``BambooDjangoRuntime``: the Engine Runtime Interface on the Django ORM and Celery.

Composition only: each concern lives in its own mixin under :mod:`pipeline.eri.imp`, which supplies the
storage of the shared rules of ``bamboo_engine.eri.rules``.
"""

from typing import Optional

from bamboo_engine.eri import interfaces
from bamboo_engine.eri.interfaces import EngineRuntimeInterface
from pipeline.conf import settings
from pipeline.eri.cache import MessageMemo
from pipeline.eri.imp.config import ConfigMixin
from pipeline.eri.imp.context import ContextMixin
from pipeline.eri.imp.data import DataMixin
from pipeline.eri.imp.history import ExecutionHistoryMixin
from pipeline.eri.imp.hooks import HooksMixin
from pipeline.eri.imp.interrupt import EventMixin, InterruptMixin
from pipeline.eri.imp.node import NodeMixin
from pipeline.eri.imp.plugin import PipelinePluginManagerMixin
from pipeline.eri.imp.prepare import PrepareMixin
from pipeline.eri.imp.process import ProcessMixin
from pipeline.eri.imp.rollback import RollbackMixin
from pipeline.eri.imp.schedule import ScheduleMixin
from pipeline.eri.imp.serializer import SerializerMixin
from pipeline.eri.imp.state import StateMixin
from pipeline.eri.imp.task import TaskMixin


# The published signatures of set_state (version before loop) and set_next_schedule (headers before
# callback_data_id) differ from the abstract interface; mypy notes it.
class BambooDjangoRuntime(
    PrepareMixin,
    TaskMixin,
    ExecutionHistoryMixin,
    ContextMixin,
    DataMixin,
    SerializerMixin,
    ScheduleMixin,
    StateMixin,
    NodeMixin,
    ProcessMixin,
    PipelinePluginManagerMixin,
    HooksMixin,
    InterruptMixin,
    EventMixin,
    ConfigMixin,
    RollbackMixin,
    EngineRuntimeInterface,
):
    """The production runtime. Cheap to build: one is built per Celery message, and its only state is that
    message's memo (:class:`pipeline.eri.cache.MessageMemo`)."""

    ERI_SUPPORT_VERSION = 8

    def __init__(self):
        eri_major = int(interfaces.version().split(".")[0])
        if eri_major > self.ERI_SUPPORT_VERSION:
            raise RuntimeError(
                f"BambooDjangoRuntime supports ERI up to major version {self.ERI_SUPPORT_VERSION}, "
                f"the installed engine provides {interfaces.version()}"
            )
        self.memo = MessageMemo()

    def node_rerun_limit(self, root_pipeline_id: str, node_id: str) -> int:
        return settings.BAMBOO_DJANGO_ERI_NODE_RERUN_LIMIT

    def post_forced_fail_activity(self, node_id: str, ex_data: str, old_version: str, new_version: str):
        """Keep the failed run's log readable: its lines move to the version the state has now."""
        from pipeline.eri.imp.extras import move_node_log

        move_node_log(node_id, old_version, new_version)
        super().post_forced_fail_activity(node_id, ex_data, old_version, new_version)

    def add_queue(self, name: str, routing_key: Optional[str] = ""):
        """Declare ``er_execute_<name>`` and ``er_schedule_<name>`` on the broker of ``BROKER_URL``.

        Both are bound with the routing keys the runtime sends with (``routing_key`` is accepted for
        compatibility and ignored, with a warning when it names another key).
        """
        from pipeline.eri.imp.extras import declare_queues

        declare_queues(name, routing_key)

    def get_plain_log_for_node(self, node_id: str, history_id: int = -1, version: str = None) -> str:
        """Log lines of one run of the node: ``version`` wins, else the history's, else the current one."""
        from pipeline.eri.imp.extras import plain_log_for_node

        return plain_log_for_node(node_id, history_id, version)
