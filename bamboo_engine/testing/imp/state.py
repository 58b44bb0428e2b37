"""StateMixin: the node state machine (``bamboo_engine.states``) applied to state rows."""

from typing import Dict, List, Optional

from bamboo_engine import states
from bamboo_engine.eri.models.runtime import State
from bamboo_engine.exceptions import InvalidOperationError, StateVersionNotMatchError
from bamboo_engine.testing.imp.base import StoreBacked, not_found
from bamboo_engine.testing.store import StateRecord
from bamboo_engine.utils.string import unique_id


def _to_state(record: StateRecord) -> State:
    return State(
        node_id=record.node_id,
        root_id=record.root_id,
        parent_id=record.parent_id,
        name=record.name,
        version=record.version,
        loop=record.loop,
        inner_loop=record.inner_loop,
        retry=record.retry,
        skip=record.skip,
        error_ignored=record.error_ignored,
        created_time=record.created_time,  # type: ignore[arg-type]
        started_time=record.started_time,  # type: ignore[arg-type]
        archived_time=record.archived_time,  # type: ignore[arg-type]
    )


class StateMixin(StoreBacked):
    def get_state(self, node_id: str) -> State:
        with self._store.lock:
            record = self._store.states.get(node_id)
            if record is None:
                raise not_found("node", node_id)
            return _to_state(record)

    def get_state_or_none(self, node_id: str) -> Optional[State]:
        with self._store.lock:
            record = self._store.states.get(node_id)
            return _to_state(record) if record else None

    def get_state_by_root(self, root_id: str) -> List[State]:
        with self._store.lock:
            return [_to_state(r) for r in self._store.states.values() if r.root_id == root_id]

    def get_state_by_parent(self, parent_id: str) -> List[State]:
        with self._store.lock:
            return [_to_state(r) for r in self._store.states.values() if r.parent_id == parent_id]

    def batch_get_state_name(self, node_id_list: List[str]) -> Dict[str, str]:
        with self._store.lock:
            return {n: self._store.states[n].name for n in node_id_list if n in self._store.states}

    def batch_get_state_version(self, node_id_list: List[str]) -> Dict[str, str]:
        with self._store.lock:
            return {n: self._store.states[n].version for n in node_id_list if n in self._store.states}

    def has_state(self, node_id: str) -> bool:
        with self._store.lock:
            return node_id in self._store.states

    def reset_state_inner_loop(self, node_id: str) -> str:
        """Set the node's ``inner_loop`` to 0 (its next entry counts 1); returns the state version."""
        with self._store.lock:
            record = self._store.states.get(node_id)
            if record is None:
                raise not_found("node", node_id)
            record.inner_loop = 0
            return record.version

    def reset_children_state_inner_loop(self, node_id: str):
        with self._store.lock:
            for record in self._store.states.values():
                if record.parent_id == node_id:
                    record.inner_loop = 0

    def set_state(
        self,
        node_id: str,
        to_state: str,
        loop: int = -1,
        inner_loop: int = -1,
        version: Optional[str] = None,
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
        now = self._now()
        with self._store.lock:
            record = self._store.states.get(node_id)
            if record is None:
                record = StateRecord(node_id=node_id, name=to_state, version=unique_id("v"), created_time=now)
                self._store.states[node_id] = record
            else:
                if ignore_boring_set and record.name == to_state:
                    return record.version
                _check_transition(record, to_state, version)
                record.name = to_state
                if refresh_version:
                    record.version = unique_id("v")
            _apply_counters(record, loop, inner_loop, is_retry, reset_retry, is_skip, reset_skip)
            _apply_flags(record, root_id, parent_id, error_ignored, reset_error_ignored)
            _apply_times(
                record, now, clear_started_time, set_started_time, clear_archived_time, set_archive_time
            )
            result = record.version
            snapshot = _to_state(record)
        if send_post_set_state_signal:
            self._post_set_state(snapshot)
        return result

    def _post_set_state(self, state: State) -> None:
        """The Django runtime sends ``post_set_state`` here; the in-memory one records the change."""
        for listener in list(getattr(self, "state_listeners", ())):
            listener(state)

    def set_state_root_and_parent(self, node_id: str, root_id: str, parent_id: str):
        with self._store.lock:
            record = self._store.states.get(node_id)
            if record is None:
                raise not_found("node", node_id)
            record.root_id = root_id
            record.parent_id = parent_id


def _check_transition(record: StateRecord, to_state: str, version: Optional[str]) -> None:
    if version is not None and record.version != version:
        raise StateVersionNotMatchError(
            f"node({record.node_id}) state version {record.version} does not match the expected {version}"
        )
    if not states.can_transit(record.name, to_state):
        raise InvalidOperationError(
            f"node({record.node_id}) can not transit state from {record.name} to {to_state}"
        )


def _apply_counters(record, loop, inner_loop, is_retry, reset_retry, is_skip, reset_skip) -> None:
    if loop != -1:
        record.loop = loop
    if inner_loop != -1:
        record.inner_loop = inner_loop
    if reset_retry:
        record.retry = 0
    if is_retry:
        record.retry += 1
    if reset_skip:
        record.skip = False
    if is_skip:
        record.skip = True


def _apply_flags(record, root_id, parent_id, error_ignored, reset_error_ignored) -> None:
    if root_id is not None:
        record.root_id = root_id
    if parent_id is not None:
        record.parent_id = parent_id
    if reset_error_ignored:
        record.error_ignored = False
    if error_ignored:
        record.error_ignored = True


def _apply_times(record, now, clear_started, set_started, clear_archived, set_archived) -> None:
    if clear_started:
        record.started_time = None
    if set_started:
        record.started_time = now
    if clear_archived:
        record.archived_time = None
    if set_archived:
        record.archived_time = now
