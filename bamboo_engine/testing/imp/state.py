"""StateMixin: state records under the shared state rules (:mod:`bamboo_engine.eri.rules.state`)."""

from typing import Any, Dict, List, Optional

from bamboo_engine import states
from bamboo_engine.eri.models.runtime import State
from bamboo_engine.eri.rules.state import StateRules, state_from_row
from bamboo_engine.eri.rules.storage import STATE, In
from bamboo_engine.testing.imp.base import StoreBacked


class StateMixin(StoreBacked, StateRules):
    state_listeners: List[Any]

    def _state_row(self, node_id: str) -> Optional[Dict[str, Any]]:
        with self._store.lock:
            record = self._store.states.get(node_id)
            return dict(vars(record)) if record is not None else None

    def _insert_fresh_state(self, row: Dict[str, Any], pipeline_ids: List[str]) -> Optional[bool]:
        with self._store.lock:
            records = self._store.states
            if row["node_id"] in records:
                return False
            for pipeline_id in pipeline_ids:
                record = records.get(pipeline_id)
                if record is not None and record.name in states.SLEEP_STATES:
                    return False
            return self._store.insert(STATE, row) is not None

    def _post_set_state(self, row: Dict[str, Any]) -> None:
        """The Django runtime sends ``post_set_state`` here; the in-memory one tells its listeners."""
        state = state_from_row(row)
        for listener in list(self.state_listeners):
            listener(state)

    def _states(self, **where: Any) -> List[State]:
        return [state_from_row(dict(vars(r))) for r in self._store.matching(STATE, where)]

    def get_state_by_root(self, root_id: str) -> List[State]:
        return self._states(root_id=root_id)

    def get_state_by_parent(self, parent_id: str) -> List[State]:
        return self._states(parent_id=parent_id)

    def batch_get_state_name(self, node_id_list: List[str]) -> Dict[str, str]:
        return {r.node_id: r.name for r in self._store.matching(STATE, {"node_id": In(node_id_list)})}

    def batch_get_state_version(self, node_id_list: List[str]) -> Dict[str, str]:
        return {r.node_id: r.version for r in self._store.matching(STATE, {"node_id": In(node_id_list)})}

    def has_state(self, node_id: str) -> bool:
        with self._store.lock:
            return node_id in self._store.states
