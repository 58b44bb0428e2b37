"""Send ``pipeline.signals.post_pipeline_finish`` / ``post_pipeline_revoke`` when a root pipeline ends.

A ``post_set_state`` receiver: a root pipeline's state row (``node_id == root_id``) reaching FINISHED or
REVOKED sends the signal with ``instance_id`` = the root pipeline id, once the transaction that wrote
the state committed (at once outside a transaction).
"""

from django.db import transaction

from bamboo_engine import states
from pipeline.signals import post_pipeline_finish, post_pipeline_revoke

_SIGNAL_OF_STATE = {states.FINISHED: post_pipeline_finish, states.REVOKED: post_pipeline_revoke}


def forward_root_end_state(sender, node_id: str, to_state: str, root_id: str = "", **kwargs) -> None:
    signal = _SIGNAL_OF_STATE.get(to_state)
    if signal is None or node_id != root_id:
        return
    transaction.on_commit(lambda: signal.send(sender=None, instance_id=node_id))
