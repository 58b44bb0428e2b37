"""The ``post_set_state`` receiver: arms a configured activity's timeout when it becomes RUNNING and
disarms it when it leaves RUNNING (``pipeline.contrib.deadlines.rules``)."""

import logging

from django.dispatch import receiver

from pipeline.contrib.node_timeout.wiring import watcher
from pipeline.eri.signals import post_set_state

logger = logging.getLogger(__name__)


@receiver(post_set_state, dispatch_uid="pipeline.contrib.node_timeout.state_handler")
def bamboo_engine_eri_node_state_handler(
    sender, node_id, to_state, version, root_id, parent_id, loop, **kwargs
):
    try:
        watcher.on_state_change(node_id, to_state, version, root_id)
    except Exception:
        logger.exception("[node_timeout] arming the timeout of node %s (%s) failed", node_id, to_state)
