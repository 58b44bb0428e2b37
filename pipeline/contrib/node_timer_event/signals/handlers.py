"""The ``post_set_state`` receiver: arms a configured activity's timers when it becomes RUNNING and
disarms them when it leaves RUNNING (``pipeline.contrib.deadlines.rules``)."""

import logging

from django.dispatch import receiver

from pipeline.contrib.node_timer_event.wiring import watcher
from pipeline.eri.signals import post_set_state

logger = logging.getLogger(__name__)


@receiver(post_set_state, dispatch_uid="pipeline.contrib.node_timer_event.state_handler")
def bamboo_engine_eri_node_state_handler(
    sender, node_id, to_state, version, root_id, parent_id, loop, **kwargs
):
    try:
        watcher.on_state_change(node_id, to_state, version, root_id)
    except Exception:
        logger.exception("[node_timer_event] arming the timers of node %s (%s) failed", node_id, to_state)
