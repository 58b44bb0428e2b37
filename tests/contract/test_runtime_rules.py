"""Contract: the rules every runtime applies the same way (``bamboo_engine.eri.rules``).

Each test pins a point where the in-memory and the Django runtimes used to disagree: the ``set_state``
fields written through keywords (the two runtimes publish different positional orders), the result of
``reset_*_inner_loop``, writes to a schedule or a process that does not exist, a child reported twice,
a message for a missing process, callback data values, plain context values, node copies, and what a
unit (``atomic_step``) that raises leaves behind. Ids are fresh per test: the MariaDB database is shared
by the whole session.
"""

import datetime
from decimal import Decimal

import pytest

from bamboo_engine import states
from bamboo_engine.builder import ExclusiveGateway
from bamboo_engine.eri import ContextValue, ContextValueType, ScheduleType
from bamboo_engine.exceptions import InvalidOperationError, NotFoundError, StateVersionNotMatchError
from bamboo_engine.utils.string import unique_id
from tests.contract.trees import activity, gateway_tree

pytestmark = pytest.mark.contract

MISSING_ID = 987654321


def _process(harness) -> int:
    root = unique_id("p")
    return harness.runtime.create_process(root, [root], queue=harness.queue, priority=100)


# -------------------------------------------------------------------------------------- set_state
def test_set_running_if_fresh_writes_only_a_first_entry_of_a_running_pipeline(harness):
    runtime = harness.runtime
    root, sub, node = unique_id("p"), unique_id("p"), unique_id("n")

    version = runtime.set_running_if_fresh(
        node, [root, sub], loop=1, inner_loop=1, root_id=root, parent_id=sub
    )
    state = runtime.get_state(node)
    assert (state.name, state.version, state.loop, state.inner_loop, state.root_id, state.parent_id) == (
        states.RUNNING, version, 1, 1, root, sub,
    )  # fmt: skip
    assert state.started_time is not None and state.archived_time is None
    # the node has a state now: nothing is written, whatever state it is in
    assert (
        runtime.set_running_if_fresh(node, [root], loop=1, inner_loop=1, root_id=root, parent_id=root) is None
    )
    assert runtime.get_state(node).version == version

    # a pipeline on the stack that stops its process (suspended, revoked): nothing is written
    for stopping in (states.SUSPENDED, states.REVOKED):
        stopped, other = unique_id("p"), unique_id("n")
        runtime.set_state(node_id=stopped, to_state=states.RUNNING)
        runtime.set_state(node_id=stopped, to_state=stopping)
        kwargs = {"loop": 1, "inner_loop": 1, "root_id": root, "parent_id": stopped}
        assert runtime.set_running_if_fresh(other, [root, stopped], **kwargs) is None
        assert runtime.get_state_or_none(other) is None
    # a pipeline in any other state does not stop it
    runtime.set_state(node_id=root, to_state=states.RUNNING)
    fresh = unique_id("n")
    assert runtime.set_running_if_fresh(fresh, [root], loop=1, inner_loop=1, root_id=root, parent_id=root)


def test_set_state_through_keywords_creates_and_updates_the_same_fields(harness):
    runtime, node = harness.runtime, unique_id("n")

    created = runtime.set_state(
        node_id=node, to_state=states.RUNNING, loop=2, inner_loop=3, root_id="r", parent_id="p",
        is_retry=True, set_started_time=True,
    )  # fmt: skip
    state = runtime.get_state(node)
    assert (state.version, state.loop, state.inner_loop, state.retry, state.root_id, state.parent_id) == (
        created, 2, 3, 1, "r", "p",
    )  # fmt: skip
    assert state.started_time is not None and state.archived_time is None and not state.skip

    updated = runtime.set_state(
        node_id=node, to_state=states.FAILED, version=created, loop=4, is_retry=True, is_skip=True,
        reset_skip=True, error_ignored=True, set_archive_time=True, clear_started_time=True,
    )  # fmt: skip
    state = runtime.get_state(node)
    assert updated == created == state.version  # no refresh_version: the version stays
    assert (state.name, state.loop, state.inner_loop, state.retry, state.skip, state.error_ignored) == (
        states.FAILED, 4, 3, 2, True, True,
    )  # fmt: skip
    assert state.started_time is None and state.archived_time is not None

    refreshed = runtime.set_state(
        node_id=node, to_state=states.READY, reset_retry=True, is_retry=True, refresh_version=True
    )
    assert refreshed != created and runtime.get_state(node).retry == 1


def test_set_state_refuses_a_wrong_version_or_transition_and_ignores_a_boring_set(harness):
    runtime, node = harness.runtime, unique_id("n")
    version = runtime.set_state(node_id=node, to_state=states.RUNNING)

    with pytest.raises(StateVersionNotMatchError):
        runtime.set_state(node_id=node, to_state=states.FINISHED, version="v" + "0" * 32)
    with pytest.raises(InvalidOperationError):
        runtime.set_state(node_id=node, to_state=states.CREATED)
    boring = runtime.set_state(node_id=node, to_state=states.RUNNING, loop=9, ignore_boring_set=True)
    assert boring == version and runtime.get_state(node).loop == 1


def test_reset_inner_loop_answers_the_rows_it_changed(harness):
    runtime, sub = harness.runtime, unique_id("n")
    runtime.set_state(node_id=sub, to_state=states.RUNNING, inner_loop=2)
    for _ in range(2):
        runtime.set_state(node_id=unique_id("n"), to_state=states.RUNNING, parent_id=sub, inner_loop=3)

    assert runtime.reset_children_state_inner_loop(sub) == 2
    assert runtime.reset_state_inner_loop(sub) == 1
    assert runtime.reset_state_inner_loop(unique_id("n")) == 0
    assert runtime.get_state(sub).inner_loop == 0
    assert {s.inner_loop for s in runtime.get_state_by_parent(sub)} == {0}


# -------------------------------------------------------------------------------------- missing rows
SCHEDULE_WRITES = ["release_schedule_lock", "expire_schedule", "finish_schedule", "add_schedule_times"]


@pytest.mark.parametrize("write", SCHEDULE_WRITES)
def test_a_write_to_a_missing_schedule_raises_not_found(harness, write):
    with pytest.raises(NotFoundError, match="does not exist"):
        getattr(harness.runtime, write)(MISSING_ID)


def test_a_lock_on_a_missing_schedule_is_not_granted(harness):
    assert harness.runtime.apply_schedule_lock(MISSING_ID) is False
    assert harness.runtime.apply_schedule_lock_with_times(MISSING_ID, 0) is False


def test_schedule_writes_change_the_schedule_they_name(harness):
    runtime = harness.runtime
    schedule = runtime.set_schedule(_process(harness), unique_id("n"), "v1", ScheduleType.POLL)
    assert runtime.apply_schedule_lock(schedule.id) is True
    for write in SCHEDULE_WRITES:
        getattr(runtime, write)(schedule.id)
    stored = runtime.get_schedule(schedule.id)
    assert (stored.finished, stored.expired, stored.times) == (True, True, 1)
    assert runtime.apply_schedule_lock_with_times(schedule.id, 1) is True  # released, run once


PROCESS_WRITES = [
    ("beat", ()),
    ("sleep", ()),
    ("kill", ()),
    ("die", ()),
    ("suspend", ("root",)),
    ("resume", ()),
    ("freeze", ()),
    ("set_current_node", ("n",)),
    ("join", (["1", "2"],)),
    ("set_pipeline_stack", (["root"],)),
]


@pytest.mark.parametrize("write,args", PROCESS_WRITES, ids=[name for name, _ in PROCESS_WRITES])
def test_a_write_to_a_missing_process_raises_not_found(harness, write, args):
    with pytest.raises(NotFoundError, match="does not exist"):
        getattr(harness.runtime, write)(MISSING_ID, *args)


def test_conditional_process_writes_answer_false_for_a_missing_process(harness):
    runtime = harness.runtime
    assert runtime.wake_up(MISSING_ID) is False
    assert runtime.wake_up_at(MISSING_ID, "n") is False
    assert runtime.wake_up_if_sleeping_at(MISSING_ID, "n") is False
    assert runtime.child_process_finish(MISSING_ID, MISSING_ID) is False


def test_wake_up_at_wakes_a_live_process_at_the_node_and_leaves_a_dead_one(harness):
    runtime, process_id = harness.runtime, _process(harness)
    node_id = unique_id("n")
    runtime.sleep(process_id)

    assert runtime.wake_up_at(process_id, node_id) is not False
    assert runtime.get_current_node_id(process_id) == node_id
    assert runtime.get_sleep_process_info_with_current_node_id(node_id) is None  # awake

    runtime.sleep(process_id)
    runtime.die(process_id)
    assert runtime.wake_up_at(process_id, unique_id("n")) is False
    assert runtime.get_current_node_id(process_id) == node_id


def test_batch_resume_resumes_the_processes_that_exist(harness):
    runtime, process_id = harness.runtime, _process(harness)
    by = unique_id("p")
    runtime.suspend(process_id, by)

    runtime.batch_resume([MISSING_ID, process_id])

    assert runtime.get_suspended_process_info(by) == []


def test_a_child_reported_twice_is_counted_once(harness):
    runtime, parent = harness.runtime, _process(harness)
    starts = [unique_id("n"), unique_id("n")]
    children = runtime.fork(str(parent), "root", ["root"], {start: "cg" for start in starts})
    runtime.join(parent, [str(c.process_id) for c in children])

    assert runtime.child_process_finish(parent, children[0].process_id) is False
    assert runtime.child_process_finish(parent, children[0].process_id) is False  # the same child again
    assert runtime.get_process_id_with_current_node_id(starts[0]) is None  # it ended
    assert runtime.child_process_finish(parent, children[1].process_id) is True


@pytest.mark.parametrize("send", ["execute", "schedule", "set_next_schedule"])
def test_a_message_for_a_missing_process_is_refused(harness, send):
    runtime = harness.runtime
    messages = {
        "execute": lambda: runtime.execute(
            process_id=MISSING_ID, node_id="n", root_pipeline_id="r", parent_pipeline_id="r"
        ),
        "schedule": lambda: runtime.schedule(process_id=MISSING_ID, node_id="n", schedule_id=MISSING_ID),
        "set_next_schedule": lambda: runtime.set_next_schedule(
            process_id=MISSING_ID, node_id="n", schedule_id=MISSING_ID, schedule_after=5
        ),
    }
    with pytest.raises(NotFoundError, match="does not exist"):
        messages[send]()


# -------------------------------------------------------------------------------------- values
def test_callback_data_keeps_values_json_has_no_type_for(harness):
    data = {
        "at": datetime.datetime(2024, 5, 1, 10, 0, tzinfo=datetime.UTC),
        "amount": Decimal("12.50"),
        "tags": {"a", "b"},
        "plain": [1, "x", None],
    }
    data_id = harness.runtime.set_callback_data(unique_id("n"), "v1", data)

    assert harness.runtime.get_callback_data(data_id).data == data


def test_a_plain_context_value_has_no_code_and_no_references(harness):
    runtime, pipeline_id = harness.runtime, unique_id("p")
    computed = ContextValue(key="${x}", type=ContextValueType.COMPUTE, value="${y}", code="some_variable")

    runtime.upsert_plain_context_values(pipeline_id, {"${x}": computed})

    [stored] = runtime.get_context(pipeline_id)
    assert (stored.type, stored.value, stored.code) == (ContextValueType.PLAIN, "${y}", "")
    assert runtime.get_context_key_references(pipeline_id, {"${x}"}) == set()


def test_a_node_read_shares_nothing_with_the_next_read(harness):
    gateway = ExclusiveGateway(conditions={0: "True == True", 1: "True == False"})
    tree, _ = gateway_tree(
        gateway, [activity("empty_node"), activity("empty_node")], extra_info={"owner": ["ops"]}
    )
    harness.start(tree)

    first = harness.runtime.get_node(gateway.id)
    first.extra_info["owner"].append("changed")
    first.targets.clear()

    second = harness.runtime.get_node(gateway.id)
    assert second.extra_info == {"owner": ["ops"]} and len(second.targets) == 2


# -------------------------------------------------------------------------------------- units
def test_a_unit_that_raises_leaves_neither_its_writes_nor_its_messages(harness):
    runtime, process_id = harness.runtime, _process(harness)
    node_id = unique_id("n")
    assert runtime.ATOMIC_STEP

    with pytest.raises(RuntimeError, match="abort"), runtime.atomic_step():
        runtime.set_current_node(process_id, node_id)
        runtime.execute(process_id=process_id, node_id=node_id, root_pipeline_id="r", parent_pipeline_id="r")
        raise RuntimeError("abort the unit")
    harness.run_until_idle()

    # A message that ran would have moved the process to its node (the engine's first write).
    assert runtime.get_current_node_id(process_id) is None
