"""``RollbackRules``: the ERI's rollback concern on a runtime's rollback storage.

A runtime mixes this in next to the other rules of :mod:`bamboo_engine.eri.rules` and implements
:class:`~bamboo_engine.rollback.storage.RollbackStorage`. The three ERI methods are what the engine calls
while ``PIPELINE_ENABLE_ROLLBACK`` is on: the tokens of a run when it starts, a snapshot of each activity
that finished, and the start of a rollback reserved on a node that finished. :meth:`run_rollback_message`
is the body of the runtime's rollback message.
"""

import logging
from typing import Any, Dict

from bamboo_engine.builder.tokens import generate_pipeline_token
from bamboo_engine.eri.interfaces.rollback import RollbackMixin
from bamboo_engine.rollback import operations, runner
from bamboo_engine.rollback.constants import START_FLAG
from bamboo_engine.rollback.storage import RollbackStorage
from bamboo_engine.utils.constants import RuntimeSettings

logger = logging.getLogger("bamboo_engine")


class RollbackRules(RollbackMixin, RollbackStorage):
    """:class:`~bamboo_engine.eri.interfaces.RollbackMixin` and the rollback message, on storage.

    The runtime also provides the ERI (states, processes, messages), the shared
    :class:`~bamboo_engine.eri.rules.storage.RuleStorage` operations and ``set_reserve_rollback`` of the
    node rules.
    """

    get_config: Any

    def _rollback_recording(self) -> bool:
        """Rollback is on and this runtime can store it (a warning when only the storage is missing)."""
        if not self.get_config(RuntimeSettings.PIPELINE_ENABLE_ROLLBACK.value):
            return False
        if not self._rollback_storage_ready():
            logger.warning("PIPELINE_ENABLE_ROLLBACK is on but this runtime cannot store rollbacks")
            return False
        return True

    def set_pipeline_token(self, pipeline_tree: dict) -> None:
        if self._rollback_recording():
            self._store_tokens(pipeline_tree["id"], generate_pipeline_token(pipeline_tree))

    def set_node_snapshot(
        self,
        root_pipeline_id: str,
        node_id: str,
        code: str,
        version: str,
        context_values: dict,
        inputs: dict,
        outputs: dict,
    ) -> None:
        if self._rollback_recording():
            self._store_node_snapshot(
                root_pipeline_id, node_id, code, version, context_values, inputs, outputs
            )

    def start_rollback(self, root_pipeline_id: str, node_id: str) -> None:
        """The engine parked the process at ``node_id``, which finished with a reservation: start it."""
        operations.start_reserved_rollback(self, root_pipeline_id, node_id)

    def run_rollback_message(
        self, snapshot_id: Any, node_id: str = START_FLAG, retry: bool = False, retry_data: Any = None
    ) -> None:
        """Run one rollback message (see :mod:`bamboo_engine.rollback.runner`)."""
        runner.run_rollback_message(self, snapshot_id, node_id=node_id, retry=retry, retry_data=retry_data)

    def rollback_message_unsent(self, kwargs: Dict[str, Any], error: BaseException) -> None:
        """A rollback message could not be sent: leave its rollback failed and retryable."""
        runner.rollback_message_unsent(self, kwargs, error)
