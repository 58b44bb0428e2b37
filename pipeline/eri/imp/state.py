"""StateMixin: node state rows under the state machine of ``bamboo_engine.states``.

``set_state`` never holds a row lock: it reads the row, checks the transition, and writes with a
compare-and-set UPDATE (``WHERE name = <read name> AND version = <read version>``). When a concurrent
writer changed the row in between, the write matches nothing and the read/check/write is retried
against the new row, so a transition is always validated against the state it replaces.
"""

from typing import Any, Dict, List, Optional, Set

from django.utils import timezone

from bamboo_engine import states
from bamboo_engine.eri.models.runtime import State
from bamboo_engine.exceptions import InvalidOperationError, StateVersionNotMatchError
from bamboo_engine.metrics import (
    ENGINE_RUNTIME_STATE_READ_TIME,
    ENGINE_RUNTIME_STATE_WRITE_TIME,
    setup_histogram,
)
from bamboo_engine.utils.string import unique_id
from pipeline.eri import signals
from pipeline.eri.imp import _sql
from pipeline.eri.imp._db import not_found
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
_CAS_ATTEMPTS = 5


_MEMO_LIMIT = 1000


def _to_state(row: Dict[str, Any]) -> State:
    return State(**{name: row[name] for name in _FIELDS})


class _Memo:
    """What this runtime instance last saw of some state rows: a hint that saves a read, never trusted.

    ``rows``: the row as last read or written here; ``set_state`` uses it as the expected row of its
    compare-and-set write, and reads the database only when the write does not match. ``absent``: nodes
    a batch read found without a state; ``set_state`` tries the INSERT directly (a conflict falls back
    to the normal path).
    """

    def __init__(self) -> None:
        self.rows: Dict[str, Dict[str, Any]] = {}
        self.absent: Set[str] = set()

    def remember(self, row: Dict[str, Any]) -> None:
        if len(self.rows) >= _MEMO_LIMIT:
            self.rows.clear()
        self.rows[row["node_id"]] = row
        self.absent.discard(row["node_id"])

    def mark_absent(self, node_ids: Set[str]) -> None:
        if len(self.absent) >= _MEMO_LIMIT:
            self.absent.clear()
        self.absent.update(node_ids)

    def forget(self, node_id: Optional[str] = None) -> None:
        if node_id is None:
            self.rows.clear()
            self.absent.clear()
        else:
            self.rows.pop(node_id, None)
            self.absent.discard(node_id)


def _read(node_id: str) -> Optional[Dict[str, Any]]:
    return StateModel.objects.filter(node_id=node_id).values(*_FIELDS).first()


class StateMixin:
    """Read and change state rows."""

    @property
    def _state_memo(self) -> _Memo:
        memo = self.__dict__.get("_state_memo_instance")
        if memo is None:
            memo = self.__dict__["_state_memo_instance"] = _Memo()
        return memo

    @setup_histogram(ENGINE_RUNTIME_STATE_READ_TIME)
    def get_state(self, node_id: str) -> State:
        row = _read(node_id)
        if row is None:
            raise not_found(StateModel, "state of node", node_id)
        self._state_memo.remember(row)
        return _to_state(row)

    @setup_histogram(ENGINE_RUNTIME_STATE_READ_TIME)
    def get_state_or_none(self, node_id: str) -> Optional[State]:
        row = _read(node_id)
        if row is None:
            return None
        self._state_memo.remember(row)
        return _to_state(row)

    def get_state_by_root(self, root_id: str) -> List[State]:
        return [_to_state(row) for row in StateModel.objects.filter(root_id=root_id).values(*_FIELDS)]

    def get_state_by_parent(self, parent_id: str) -> List[State]:
        return [_to_state(row) for row in StateModel.objects.filter(parent_id=parent_id).values(*_FIELDS)]

    @setup_histogram(ENGINE_RUNTIME_STATE_READ_TIME)
    def batch_get_state_name(self, node_id_list: List[str]) -> Dict[str, str]:
        names = dict(_sql.select(StateModel, ("node_id", "name"), {}, "node_id", node_id_list))
        self._state_memo.mark_absent(set(node_id_list) - set(names))
        return names

    def batch_get_state_version(self, node_id_list: List[str]) -> Dict[str, str]:
        rows = StateModel.objects.filter(node_id__in=list(node_id_list)).values_list("node_id", "version")
        return dict(rows)

    def has_state(self, node_id: str) -> bool:
        return StateModel.objects.filter(node_id=node_id).exists()

    def reset_state_inner_loop(self, node_id: str) -> int:  # type: ignore[override]
        """Set the node's ``inner_loop`` to 0 (its next entry counts 1); returns the rows changed."""
        self._state_memo.forget(node_id)
        return StateModel.objects.filter(node_id=node_id).update(inner_loop=0)

    def reset_children_state_inner_loop(self, node_id: str) -> int:  # type: ignore[override]
        """Set ``inner_loop`` of the states whose parent is ``node_id`` to 0; returns the rows changed."""
        self._state_memo.forget()
        return StateModel.objects.filter(parent_id=node_id).update(inner_loop=0)

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
        change = _StateChange(
            to_state=to_state,
            loop=loop,
            inner_loop=inner_loop,
            root_id=root_id,
            parent_id=parent_id,
            flags={
                "is_retry": is_retry,
                "is_skip": is_skip,
                "reset_retry": reset_retry,
                "reset_skip": reset_skip,
                "error_ignored": error_ignored,
                "reset_error_ignored": reset_error_ignored,
                "clear_started_time": clear_started_time,
                "set_started_time": set_started_time,
                "clear_archived_time": clear_archived_time,
                "set_archive_time": set_archive_time,
            },
        )
        written = self._write_from_memo(node_id, change, version, refresh_version, ignore_boring_set)
        if written is None:
            written = self._write_from_database(node_id, change, version, refresh_version, ignore_boring_set)
            if written.get("_boring"):
                return written["version"]
        self._state_memo.remember(written)
        if send_post_set_state_signal:
            signals.post_set_state.send(
                sender=StateModel,
                node_id=node_id,
                to_state=to_state,
                version=written["version"],
                root_id=written["root_id"],
                parent_id=written["parent_id"],
                loop=written["loop"],
            )
        return written["version"]

    def _write_from_database(
        self,
        node_id: str,
        change: "_StateChange",
        version: Optional[str],
        refresh_version: bool,
        ignore_boring_set: bool,
    ) -> dict:
        """Read the row and write with compare-and-set, retrying while concurrent writers win.

        A boring set (same state, ``ignore_boring_set``) returns the row marked ``_boring``: nothing was
        written and no signal is due.
        """
        for _ in range(_CAS_ATTEMPTS):
            row = _read(node_id)
            if row is None:
                written = change.create(node_id)
            elif ignore_boring_set and row["name"] == change.to_state:
                self._state_memo.remember(row)
                return {**row, "_boring": True}
            else:
                _check_transition(row, change.to_state, version)
                written = change.update(row, refresh_version)
            if written is not None:
                return written
        raise InvalidOperationError(
            f"node({node_id}) state kept changing concurrently, could not set it to {change.to_state}"
        )

    def _write_from_memo(
        self,
        node_id: str,
        change: "_StateChange",
        version: Optional[str],
        refresh_version: bool,
        ignore_boring_set: bool,
    ) -> Optional[Dict[str, Any]]:
        """The write without a read, when this instance already knows the row; None = do it the long way.

        The compare-and-set only matches if the row still has the remembered name and version, so a
        stale memo costs one extra query, never a wrong transition. A remembered row already in
        ``to_state`` is not trusted for ``ignore_boring_set`` (the database decides).
        """
        memo = self._state_memo
        if node_id in memo.absent:
            memo.forget(node_id)
            return change.create(node_id)
        row = memo.rows.pop(node_id, None)
        if row is None or (ignore_boring_set and row["name"] == change.to_state):
            return None
        if (version is not None and row["version"] != version) or not states.can_transit(
            row["name"], change.to_state
        ):
            return None  # re-checked (and reported) against the row read from the database
        return change.update(row, refresh_version)

    def set_state_root_and_parent(self, node_id: str, root_id: str, parent_id: str):
        self._state_memo.forget(node_id)
        if not StateModel.objects.filter(node_id=node_id).update(root_id=root_id, parent_id=parent_id):
            raise not_found(StateModel, "state of node", node_id)


def _check_transition(row: Dict[str, Any], to_state: str, version: Optional[str]) -> None:
    if version is not None and row["version"] != version:
        raise StateVersionNotMatchError(
            f"node({row['node_id']}) state version {row['version']} does not match the expected {version}"
        )
    if not states.can_transit(row["name"], to_state):
        raise InvalidOperationError(
            f"node({row['node_id']}) can not transit state from {row['name']} to {to_state}"
        )


class _StateChange:
    """The fields one ``set_state`` call writes, as an INSERT or as a compare-and-set UPDATE."""

    def __init__(self, to_state, loop, inner_loop, root_id, parent_id, flags):
        self.to_state = to_state
        self.loop = loop
        self.inner_loop = inner_loop
        self.root_id = root_id
        self.parent_id = parent_id
        self.flags = flags
        self.now = timezone.now()

    def create(self, node_id: str) -> Optional[Dict[str, Any]]:
        """Insert the row; None if a concurrent writer created it first (the caller retries)."""
        flags = self.flags
        fields = {
            "name": self.to_state,
            "version": unique_id("v"),
            "root_id": self.root_id or "",
            "parent_id": self.parent_id or "",
            "loop": self.loop if self.loop != -1 else 1,
            "inner_loop": self.inner_loop if self.inner_loop != -1 else 1,
            "retry": 1 if flags["is_retry"] else 0,
            "skip": flags["is_skip"],
            "error_ignored": flags["error_ignored"],
            "started_time": self.now if flags["set_started_time"] else None,
            "archived_time": self.now if flags["set_archive_time"] else None,
            "created_time": self.now,
        }
        if _sql.insert(StateModel, {"node_id": node_id, **fields}) is None:
            return None
        return {"node_id": node_id, **fields}

    def update(self, row: Dict[str, Any], refresh_version: bool) -> Optional[Dict[str, Any]]:
        """Compare-and-set the changes onto ``row``; the written view of the row, or None if it moved."""
        changes = self._changes(refresh_version)
        where = {"node_id": row["node_id"], "name": row["name"], "version": row["version"]}
        if not _sql.update(StateModel, where, changes):
            return None
        written = {**row, **changes}
        if isinstance(changes.get("retry"), _sql.Increment):
            written["retry"] = row["retry"] + 1  # the increment, as the database applied it
        return written

    def _changes(self, refresh_version: bool) -> Dict[str, Any]:
        flags = self.flags
        changes: Dict[str, Any] = {"name": self.to_state}
        if refresh_version:
            changes["version"] = unique_id("v")
        if self.loop != -1:
            changes["loop"] = self.loop
        if self.inner_loop != -1:
            changes["inner_loop"] = self.inner_loop
        if self.root_id is not None:
            changes["root_id"] = self.root_id
        if self.parent_id is not None:
            changes["parent_id"] = self.parent_id
        if flags["reset_retry"] or flags["is_retry"]:
            if not flags["is_retry"]:
                changes["retry"] = 0
            else:
                changes["retry"] = 1 if flags["reset_retry"] else _sql.Increment(1)
        _toggle(changes, "skip", flags["is_skip"], flags["reset_skip"])
        _toggle(changes, "error_ignored", flags["error_ignored"], flags["reset_error_ignored"])
        _toggle(
            changes,
            "started_time",
            self.now if flags["set_started_time"] else None,
            flags["clear_started_time"],
        )
        _toggle(
            changes,
            "archived_time",
            self.now if flags["set_archive_time"] else None,
            flags["clear_archived_time"],
        )
        return changes


def _toggle(changes: Dict[str, Any], field: str, set_value: Any, reset: bool) -> None:
    """``set_value`` (when truthy) wins over ``reset``, as in the in-memory runtime."""
    if set_value:
        changes[field] = set_value
    elif reset:
        changes[field] = False if field in ("skip", "error_ignored") else None
