"""Rules of ``bamboo_engine.eri.rules`` that no contract test reaches through a runtime's API, and the
capability declarations of ``EngineRuntimeInterface``."""

import datetime

import pytest

from bamboo_engine import states
from bamboo_engine.eri.interfaces import EngineRuntimeInterface, ExecuteInterruptEvent
from bamboo_engine.eri.rules import Increment, StateChange
from bamboo_engine.testing import InMemoryRuntime

NOW = datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC)


def test_a_new_state_row_fills_every_field():
    row = StateChange(states.RUNNING, is_retry=True, set_started_time=True).new_row("n", NOW, "v1")
    assert row == {
        "node_id": "n",
        "root_id": "",
        "parent_id": "",
        "name": states.RUNNING,
        "version": "v1",
        "loop": 1,
        "inner_loop": 1,
        "retry": 1,
        "skip": False,
        "error_ignored": False,
        "created_time": NOW,
        "started_time": NOW,
        "archived_time": None,
    }


@pytest.mark.parametrize(
    "flags,expected",
    [
        ({}, {}),
        ({"is_retry": True}, {"retry": "+1"}),
        ({"reset_retry": True}, {"retry": 0}),
        ({"is_retry": True, "reset_retry": True}, {"retry": 1}),
        ({"is_skip": True, "reset_skip": True}, {"skip": True}),
        ({"reset_skip": True}, {"skip": False}),
        ({"error_ignored": True, "reset_error_ignored": True}, {"error_ignored": True}),
        ({"set_started_time": True, "clear_started_time": True}, {"started_time": NOW}),
        ({"clear_archived_time": True}, {"archived_time": None}),
        (
            {"loop": 3, "inner_loop": 0, "root_id": "", "parent_id": "p"},
            {"loop": 3, "inner_loop": 0, "root_id": "", "parent_id": "p"},
        ),
    ],
)
def test_the_changes_of_a_set_state_call(flags, expected):
    changes = StateChange(states.FINISHED, **flags).changes(NOW, None)
    shown = {k: "+1" if isinstance(v, Increment) else v for k, v in changes.items() if k != "name"}
    assert changes["name"] == states.FINISHED and shown == expected


def test_a_negative_delay_is_due_now():
    with InMemoryRuntime() as rt:
        process_id = rt.create_process("r", ["r"], queue="q", priority=5)
        rt.set_next_schedule(process_id=process_id, node_id="n", schedule_id=1, schedule_after=-30)
        [task] = rt.pending_tasks()
        assert task.due == rt.clock.now()
        assert task.kwargs["headers"] == {
            "route_info": {"queue": "q", "priority": 5},
            "timestamp": rt.clock.now().timestamp(),
        }


def test_a_false_config_value_means_not_configured():
    rt = InMemoryRuntime(config={"PIPELINE_ENABLE_ROLLBACK": 0, "PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY": 2})
    assert rt.get_config("PIPELINE_ENABLE_ROLLBACK") is False
    assert rt.get_config("PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY") == 2


def test_capabilities_default_to_none_offered():
    assert (EngineRuntimeInterface.CURRENT_NODE_BEATS, EngineRuntimeInterface.ATOMIC_STEP) == (False, False)
    assert (InMemoryRuntime.CURRENT_NODE_BEATS, InMemoryRuntime.ATOMIC_STEP) == (False, True)
    handlers = {"handle_execute_interrupt_event", "handle_schedule_interrupt_event"}
    assert not handlers & EngineRuntimeInterface.__abstractmethods__
    event = ExecuteInterruptEvent("ENTRY", 1, "n", RuntimeError("db"), "traceback")
    assert EngineRuntimeInterface.handle_execute_interrupt_event(InMemoryRuntime(), event) is None


def test_declaring_atomic_step_without_the_method_is_refused_at_class_definition():
    with pytest.raises(TypeError, match="ATOMIC_STEP"):

        class Broken(EngineRuntimeInterface):  # the definition itself raises
            ATOMIC_STEP = True
