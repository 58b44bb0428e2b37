"""Rolling a pipeline back: undo the activities that finished since a node, then run again from it.

``PIPELINE_ENABLE_ROLLBACK`` makes the engine record what a rollback needs (tokens when a run starts, a
snapshot of each activity that finished); the operations of :mod:`bamboo_engine.rollback.operations` use
them on a runtime that mixes in :class:`~bamboo_engine.rollback.rules.RollbackRules`. The modes, the
checks and the failure handling are described in docs/rollback.md.
"""

from bamboo_engine.exceptions import RollbackError
from bamboo_engine.rollback.constants import ANY, TOKEN
from bamboo_engine.rollback.operations import (
    cancel_reserved_rollback,
    get_allowed_rollback_node_id_list,
    reserve_rollback,
    retry_rollback_failed_node,
    rollback,
)

__all__ = [
    "ANY",
    "TOKEN",
    "RollbackError",
    "cancel_reserved_rollback",
    "get_allowed_rollback_node_id_list",
    "reserve_rollback",
    "retry_rollback_failed_node",
    "rollback",
]
