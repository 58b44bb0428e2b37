"""The state machine: every (from, to) pair of the 12 states against a hand-written grid."""

import pytest

from bamboo_engine import states
from bamboo_engine.states import StateType, can_transit

# Rows: from state; columns: to state (same order); "x" = allowed. Written from docs/concepts.md,
# independently of the TRANSITION table in the module under test.
ORDER = [
    "CREATED",
    "LOOP_READY",
    "READY",
    "RUNNING",
    "SUSPENDED",
    "BLOCKED",
    "FINISHED",
    "FAILED",
    "REVOKED",
    "ROLLING_BACK",
    "ROLL_BACK_SUCCESS",
    "ROLL_BACK_FAILED",
]
GRID = """
                   CR LR RD RU SU BL FI FA RE RB RS RF
CREATED            .  .  .  .  .  .  .  .  .  .  .  .
LOOP_READY         .  .  .  x  x  .  .  .  .  .  .  .
READY              .  .  .  x  x  .  .  .  .  .  .  .
RUNNING            .  .  .  .  x  .  x  x  x  x  .  .
SUSPENDED          .  .  x  x  .  .  .  .  x  x  .  .
BLOCKED            .  .  .  .  .  .  .  .  .  .  .  .
FINISHED           .  .  .  x  .  .  .  x  .  x  .  .
FAILED             .  x  x  .  .  .  x  .  .  .  .  .
REVOKED            .  .  .  .  .  .  .  .  .  .  .  .
ROLLING_BACK       .  .  .  .  .  .  .  .  .  .  x  x
ROLL_BACK_SUCCESS  .  .  x  .  .  .  x  .  .  .  .  .
ROLL_BACK_FAILED   .  .  x  .  .  .  x  .  .  x  .  .
"""


def _expected():
    rows = [line.split() for line in GRID.strip().splitlines()[1:]]
    assert [row[0] for row in rows] == ORDER
    return {(row[0], to): mark == "x" for row in rows for to, mark in zip(ORDER, row[1:], strict=True)}


EXPECTED = _expected()


@pytest.mark.parametrize(("from_state", "to_state"), sorted(EXPECTED))
def test_can_transit_matches_grid(from_state, to_state):
    assert can_transit(from_state, to_state) is EXPECTED[(from_state, to_state)]


@pytest.mark.parametrize(("from_state", "to_state"), sorted(EXPECTED))
def test_can_transit_accepts_enum_members(from_state, to_state):
    assert can_transit(StateType[from_state], StateType[to_state]) is EXPECTED[(from_state, to_state)]


def test_grid_covers_all_twelve_states():
    assert len(EXPECTED) == 144
    assert sorted(s.name for s in StateType) == sorted(ORDER)


@pytest.mark.parametrize("name", ORDER)
def test_state_constants_hold_their_names(name):
    assert getattr(states, name) == name
    assert StateType[name].value == name


@pytest.mark.parametrize("state", ["", "running", "UNKNOWN"])
def test_unknown_states_cannot_transit(state):
    assert not can_transit(state, states.RUNNING)
    assert not can_transit(states.RUNNING, state)


def test_named_sets():
    all_states = {"READY", "RUNNING", "SUSPENDED", "BLOCKED", "FINISHED", "FAILED", "REVOKED", "ROLLING_BACK"}
    assert all_states == states.ALL_STATES
    assert {"FINISHED", "FAILED", "REVOKED"} == states.ARCHIVED_STATES
    assert {"SUSPENDED", "REVOKED"} == states.SLEEP_STATES
    assert {"BLOCKED"} == states.CHILDREN_IGNORE_STATES
    assert states.INVERTED_TRANSITION == {"RUNNING": {"READY", "FINISHED", "LOOP_READY"}}
    for named in (
        states.ALL_STATES,
        states.ARCHIVED_STATES,
        states.SLEEP_STATES,
        states.CHILDREN_IGNORE_STATES,
    ):
        assert isinstance(named, frozenset)


def test_transition_table_is_immutable_data():
    for targets in states.TRANSITION.values():
        assert isinstance(targets, frozenset)
