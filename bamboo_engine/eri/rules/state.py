"""State rules: the transition check and the fields one ``set_state`` call writes.

``set_state`` never holds a lock while it decides: it reads the row, checks the transition against it and
writes with a compare-and-set (``WHERE name = <read name> AND version = <read version>``). When a
concurrent writer changed the row in between, the write matches nothing and the read, check and write are
done again against the new row, so a transition is always checked against the state it replaces.
"""

import abc
import dataclasses
import datetime
from typing import Any, Dict, List, Optional

from bamboo_engine import states
from bamboo_engine.eri.interfaces.state import StateMixin
from bamboo_engine.eri.models.runtime import State
from bamboo_engine.eri.rules.storage import STATE, Increment, RuleStorage, applied
from bamboo_engine.exceptions import EngineException, InvalidOperationError, StateVersionNotMatchError
from bamboo_engine.utils.string import unique_id

#: Rereads after a compare-and-set write lost to a concurrent writer, before giving up.
CAS_ATTEMPTS = 5


class _Absent:
    """The row is known not to exist (a hint from :meth:`StateRules._state_hint`)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


def transition_error(row: Dict[str, Any], to_state: str, version: Optional[str]) -> Optional[EngineException]:
    """Why ``row`` may not move to ``to_state`` (when the caller expects ``version``), or None."""
    if version is not None and row["version"] != version:
        return StateVersionNotMatchError(
            f"node({row['node_id']}) state version {row['version']} does not match the expected {version}"
        )
    if not states.can_transit(row["name"], to_state):
        return InvalidOperationError(
            f"node({row['node_id']}) can not transit state from {row['name']} to {to_state}"
        )
    return None


def state_from_row(row: Dict[str, Any]) -> State:
    """The ERI model of a state row (a dict with every field of :class:`State`)."""
    return State(**row)


# Not frozen: a frozen dataclass pays for each field at construction, and one is built per set_state.
@dataclasses.dataclass(slots=True)
class StateChange:
    """The fields one ``set_state`` call writes, as a new row or as changes to the current one.

    ``loop``/``inner_loop`` of -1 and ``root_id``/``parent_id`` of None leave the field as it is. A flag
    that sets a value wins over the one that resets it (``is_skip`` over ``reset_skip``, ...);
    ``reset_retry`` with ``is_retry`` counts this retry as the first.
    """

    to_state: str
    loop: int = -1
    inner_loop: int = -1
    root_id: Optional[str] = None
    parent_id: Optional[str] = None
    is_retry: bool = False
    is_skip: bool = False
    reset_retry: bool = False
    reset_skip: bool = False
    error_ignored: bool = False
    reset_error_ignored: bool = False
    clear_started_time: bool = False
    set_started_time: bool = False
    clear_archived_time: bool = False
    set_archive_time: bool = False

    def new_row(self, node_id: str, now: datetime.datetime, version: str) -> Dict[str, Any]:
        """Every field of the state row this call creates."""
        return {
            "node_id": node_id,
            "root_id": self.root_id or "",
            "parent_id": self.parent_id or "",
            "name": self.to_state,
            "version": version,
            "loop": self.loop if self.loop != -1 else 1,
            "inner_loop": self.inner_loop if self.inner_loop != -1 else 1,
            "retry": 1 if self.is_retry else 0,
            "skip": self.is_skip,
            "error_ignored": self.error_ignored,
            "created_time": now,
            "started_time": now if self.set_started_time else None,
            "archived_time": now if self.set_archive_time else None,
        }

    def changes(self, now: datetime.datetime, new_version: Optional[str]) -> Dict[str, Any]:
        """The fields this call changes on an existing row (``new_version``: a refreshed version)."""
        changes: Dict[str, Any] = {"name": self.to_state}
        if new_version is not None:
            changes["version"] = new_version
        if self.loop != -1:
            changes["loop"] = self.loop
        if self.inner_loop != -1:
            changes["inner_loop"] = self.inner_loop
        if self.root_id is not None:
            changes["root_id"] = self.root_id
        if self.parent_id is not None:
            changes["parent_id"] = self.parent_id
        if self.is_retry:
            changes["retry"] = 1 if self.reset_retry else Increment(1)
        elif self.reset_retry:
            changes["retry"] = 0
        _set_or_reset(changes, "skip", True, self.is_skip, self.reset_skip, False)
        _set_or_reset(changes, "error_ignored", True, self.error_ignored, self.reset_error_ignored, False)
        _set_or_reset(changes, "started_time", now, self.set_started_time, self.clear_started_time, None)
        _set_or_reset(changes, "archived_time", now, self.set_archive_time, self.clear_archived_time, None)
        return changes


def _set_or_reset(
    changes: Dict[str, Any], field: str, value: Any, set_: bool, reset: bool, empty: Any
) -> None:
    if set_:
        changes[field] = value
    elif reset:
        changes[field] = empty


class StateRules(StateMixin, RuleStorage):
    """The writers of :class:`~bamboo_engine.eri.interfaces.StateMixin`, on a runtime's storage.

    A runtime supplies :meth:`_state_row` and :meth:`_post_set_state`; it may also offer a hint of the row
    (:meth:`_state_hint`) that saves the read before a write, and hear of each written row
    (:meth:`_state_written`).
    """

    @abc.abstractmethod
    def _state_row(self, node_id: str) -> Optional[Dict[str, Any]]:
        """The state row of ``node_id`` (every field of :class:`State`), or None."""

    @abc.abstractmethod
    def _post_set_state(self, row: Dict[str, Any]) -> None:
        """Tell listeners that ``set_state`` wrote ``row`` (the Django runtime: ``post_set_state``)."""

    def _state_hint(self, node_id: str) -> Optional[Dict[str, Any]]:
        """What the runtime believes the row is (a row, or :data:`ABSENT`), or None to read it.

        A hint is never trusted: the compare-and-set write only matches the row it names, and a hint that
        would refuse the change is checked again against a fresh read.
        """
        return None

    def _state_written(self, row: Dict[str, Any]) -> None:
        """The row as ``set_state`` just wrote it (a runtime may remember it as its next hint)."""

    # -- reads with a not-found rule -------------------------------------------------------------

    def get_state(self, node_id: str) -> State:
        row = self._state_row(node_id)
        if row is None:
            raise self._not_found(STATE, "state of node", node_id)
        return state_from_row(row)

    def get_state_or_none(self, node_id: str) -> Optional[State]:
        row = self._state_row(node_id)
        return state_from_row(row) if row is not None else None

    # -- writers ---------------------------------------------------------------------------------

    def reset_state_inner_loop(self, node_id: str) -> int:  # type: ignore[override]
        """Set the node's ``inner_loop`` to 0 (its next entry counts 1); the rows changed (0 or 1).

        The ERI annotates ``-> str``; every runtime here returns the row count, as the upstream Django
        runtime does (no caller uses the value).
        """
        return self._update_rows(STATE, {"node_id": node_id}, {"inner_loop": 0})

    def reset_children_state_inner_loop(self, node_id: str) -> int:  # type: ignore[override]
        """Set ``inner_loop`` of the states whose parent is ``node_id`` to 0; the rows changed."""
        return self._update_rows(STATE, {"parent_id": node_id}, {"inner_loop": 0})

    def set_state_root_and_parent(self, node_id: str, root_id: str, parent_id: str) -> None:
        self._write_row(
            STATE, {"node_id": node_id}, {"root_id": root_id, "parent_id": parent_id}, "state of node"
        )

    def _insert_fresh_state(self, row: Dict[str, Any], pipeline_ids: List[str]) -> Optional[bool]:
        """Insert the new state ``row`` in one step unless its node has a state or one of
        ``pipeline_ids`` is in one of :data:`bamboo_engine.states.SLEEP_STATES`; True if inserted, False
        if not, None when the runtime cannot check and write in one step (this default)."""
        return None

    def set_running_if_fresh(
        self,
        node_id: str,
        pipeline_ids: List[str],
        loop: int,
        inner_loop: int,
        root_id: str,
        parent_id: str,
    ) -> Optional[str]:
        change = StateChange(
            to_state=states.RUNNING,
            loop=loop,
            inner_loop=inner_loop,
            root_id=root_id,
            parent_id=parent_id,
            set_started_time=True,
        )
        row = change.new_row(node_id, self._now(), unique_id("v"))
        if not self._insert_fresh_state(row, pipeline_ids):
            return None
        self._state_written(row)
        self._post_set_state(row)
        return row["version"]

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
        change = StateChange(
            to_state=to_state,
            loop=loop,
            inner_loop=inner_loop,
            root_id=root_id,
            parent_id=parent_id,
            is_retry=is_retry,
            is_skip=is_skip,
            reset_retry=reset_retry,
            reset_skip=reset_skip,
            error_ignored=error_ignored,
            reset_error_ignored=reset_error_ignored,
            clear_started_time=clear_started_time,
            set_started_time=set_started_time,
            clear_archived_time=clear_archived_time,
            set_archive_time=set_archive_time,
        )
        return self._apply_state_change(
            node_id, change, version, refresh_version, ignore_boring_set, send_post_set_state_signal
        )

    def _set_new_root_running(self, root_id: str) -> str:
        """``set_state`` of a root pipeline that the calling unit is creating: RUNNING, started now.

        The write starts from :data:`ABSENT` instead of the runtime's hint or a read: the unit has just
        stored the root's rows, so it has no state yet. Like every hint this one is not trusted: if a
        state row of that id exists after all, the insert meets it and the write reads the row and
        applies the usual rules.
        """
        change = StateChange(to_state=states.RUNNING, root_id=root_id, parent_id="", set_started_time=True)
        return self._apply_state_change(root_id, change, None, False, False, True, hint=ABSENT)

    def _apply_state_change(
        self,
        node_id: str,
        change: StateChange,
        version: Optional[str],
        refresh_version: bool,
        ignore_boring_set: bool,
        send_post_set_state_signal: bool,
        hint: Optional[Dict[str, Any]] = None,
    ) -> str:
        write = _StateWrite(self, node_id, change, version, refresh_version)
        written = write.run(ignore_boring_set, hint)
        if written is None:  # a boring set: nothing written, nothing to tell
            return write.boring_version
        self._state_written(written)
        if send_post_set_state_signal:
            self._post_set_state(written)
        return written["version"]


class _StateWrite:
    """One ``set_state`` call: read, check and compare-and-set until a write lands."""

    def __init__(
        self,
        rules: StateRules,
        node_id: str,
        change: StateChange,
        version: Optional[str],
        refresh_version: bool,
    ) -> None:
        self.rules = rules
        self.node_id = node_id
        self.change = change
        self.version = version
        self.refresh_version = refresh_version
        self.now = rules._now()
        self.boring_version = ""

    def run(self, ignore_boring_set: bool, hint: Optional[Dict[str, Any]] = None) -> Optional[Dict[str, Any]]:
        """The written row, or None for a boring set (``boring_version`` is then the current version).

        ``hint`` replaces the runtime's hint (:meth:`StateRules._state_hint`) when given.
        """
        if hint is None:
            hint = self.rules._state_hint(self.node_id)
        if hint is not None and not (ignore_boring_set and hint is not ABSENT and self._boring(hint)):
            written = self._write_over(hint, trusted=False)
            if written is not None:
                return written
        for _ in range(CAS_ATTEMPTS):
            current = self.rules._state_row(self.node_id)
            if current is not None and ignore_boring_set and self._boring(current):
                self.boring_version = current["version"]
                return None
            written = self._write_over(current if current is not None else ABSENT, trusted=True)
            if written is not None:
                return written
        raise InvalidOperationError(
            f"node({self.node_id}) state kept changing concurrently, "
            f"could not set it to {self.change.to_state}"
        )

    def _boring(self, row: Dict[str, Any]) -> bool:
        return row["name"] == self.change.to_state

    def _write_over(self, current: Any, trusted: bool) -> Optional[Dict[str, Any]]:
        """Write the change over ``current`` (a row or :data:`ABSENT`); None if ``current`` is not the row.

        An untrusted ``current`` (a hint) that refuses the change is not reported: the caller reads the
        row and checks again.
        """
        if current is ABSENT:
            row = self.change.new_row(self.node_id, self.now, unique_id("v"))
            return row if self.rules._insert_row(STATE, row) is not None else None
        problem = transition_error(current, self.change.to_state, self.version)
        if problem is not None:
            if trusted:
                raise problem
            return None
        changes = self.change.changes(self.now, unique_id("v") if self.refresh_version else None)
        where = {"node_id": self.node_id, "name": current["name"], "version": current["version"]}
        if not self.rules._update_rows(STATE, where, changes):
            return None
        return applied(current, changes)
