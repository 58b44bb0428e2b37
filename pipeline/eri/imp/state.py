"""StateMixin: state rows under the shared state rules (``bamboo_engine.eri.rules.state``).

``set_state`` keeps upstream's argument order (``version`` before ``loop``); the engine passes keywords,
so both orders mean the same call. Rows this runtime object read or wrote are kept as hints of its
message memo (:class:`pipeline.eri.cache.MessageMemo`): with one, ``set_state`` writes without reading.
"""

from typing import Any, Dict, List, Optional

from bamboo_engine import states
from bamboo_engine.eri.models.runtime import State
from bamboo_engine.eri.rules.state import ABSENT, StateRules, state_from_row
from bamboo_engine.eri.rules.storage import In
from bamboo_engine.metrics import (
    ENGINE_RUNTIME_STATE_READ_TIME,
    ENGINE_RUNTIME_STATE_WRITE_TIME,
    setup_histogram,
)
from pipeline.eri import signals
from pipeline.eri.imp import _sql
from pipeline.eri.imp.storage import StorageMixin
from pipeline.eri.models import State as StateModel

_FIELDS = (
    "node_id",
    "root_id",
    "parent_id",
    "name",
    "version",
    "loop",
    "inner_loop",
    "retry",
    "skip",
    "error_ignored",
    "created_time",
    "started_time",
    "archived_time",
)


class StateMixin(StorageMixin, StateRules):
    """Read and change state rows."""

    def _state_row(self, node_id: str) -> Optional[Dict[str, Any]]:
        rows = _sql.select_values(StateModel, _FIELDS, {"node_id": node_id}, limit=1)
        if not rows:
            return None
        self.memo.keep_state(rows[0])
        return rows[0]

    def _state_hint(self, node_id: str) -> Optional[Dict[str, Any]]:
        memo = self.memo
        if node_id in memo.stateless:
            memo.forget_state(node_id)
            return ABSENT
        return memo.state_rows.pop(node_id, None)

    def _insert_fresh_state(self, row: Dict[str, Any], pipeline_ids: List[str]) -> Optional[bool]:
        stopping = sorted(states.SLEEP_STATES)
        inserted = _sql.insert_unless(
            StateModel,
            row,
            [{"node_id": row["node_id"]}, {"node_id": In(pipeline_ids), "name": In(stopping)}],
        )
        if inserted is False:
            self.memo.forget_state(row["node_id"])
        return inserted

    def _state_written(self, row: Dict[str, Any]) -> None:
        self.memo.keep_state(row)

    def _post_set_state(self, row: Dict[str, Any]) -> None:
        signals.post_set_state.send(
            sender=StateModel,
            node_id=row["node_id"],
            to_state=row["name"],
            version=row["version"],
            root_id=row["root_id"],
            parent_id=row["parent_id"],
            loop=row["loop"],
        )

    @setup_histogram(ENGINE_RUNTIME_STATE_READ_TIME)
    def get_state(self, node_id: str) -> State:
        return super().get_state(node_id)

    @setup_histogram(ENGINE_RUNTIME_STATE_READ_TIME)
    def get_state_or_none(self, node_id: str) -> Optional[State]:
        return super().get_state_or_none(node_id)

    def get_state_by_root(self, root_id: str) -> List[State]:
        return [state_from_row(row) for row in StateModel.objects.filter(root_id=root_id).values(*_FIELDS)]

    def get_state_by_parent(self, parent_id: str) -> List[State]:
        return [
            state_from_row(row) for row in StateModel.objects.filter(parent_id=parent_id).values(*_FIELDS)
        ]

    @setup_histogram(ENGINE_RUNTIME_STATE_READ_TIME)
    def batch_get_state_name(self, node_id_list: List[str]) -> Dict[str, str]:
        names = dict(_sql.select(StateModel, ("node_id", "name"), {}, "node_id", node_id_list))
        self.memo.mark_stateless(set(node_id_list) - set(names))
        return names

    def batch_get_state_version(self, node_id_list: List[str]) -> Dict[str, str]:
        rows = StateModel.objects.filter(node_id__in=list(node_id_list)).values_list("node_id", "version")
        return dict(rows)

    def has_state(self, node_id: str) -> bool:
        return StateModel.objects.filter(node_id=node_id).exists()

    # The published signature orders ``version`` before ``loop``.
    @setup_histogram(ENGINE_RUNTIME_STATE_WRITE_TIME)
    def set_state(
        self,
        node_id: str,
        to_state: str,
        version: Optional[str] = None,
        loop: int = -1,
        inner_loop: int = -1,
        root_id: Optional[str] = None,
        parent_id: Optional[str] = None,
        is_retry: bool = False,
        is_skip: bool = False,
        reset_retry: bool = False,
        reset_skip: bool = False,
        error_ignored: bool = False,
        reset_error_ignored: bool = False,
        refresh_version: bool = False,
        clear_started_time: bool = False,
        set_started_time: bool = False,
        clear_archived_time: bool = False,
        set_archive_time: bool = False,
        ignore_boring_set: bool = False,
        send_post_set_state_signal: bool = True,
    ) -> str:
        arguments = dict(locals())
        del arguments["self"]
        return StateRules.set_state(self, **arguments)
