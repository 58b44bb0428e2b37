"""StateMixin of the Django runtime: the state machine rules applied to ``State`` rows."""

import pytest

from bamboo_engine import states
from bamboo_engine.exceptions import InvalidOperationError, NotFoundError, StateVersionNotMatchError
from pipeline.eri import signals
from pipeline.eri.models import State as StateModel
from pipeline.eri.runtime import BambooDjangoRuntime
from tests.django.threads import run_concurrently

NODE = "n" + "0" * 32


def test_create_then_read(runtime):
    version = runtime.set_state(
        NODE, states.RUNNING, root_id="root", parent_id="parent", set_started_time=True
    )
    state = runtime.get_state(NODE)
    assert (state.name, state.version, state.root_id, state.parent_id) == (
        "RUNNING",
        version,
        "root",
        "parent",
    )
    assert (state.loop, state.inner_loop, state.retry, state.skip, state.error_ignored) == (
        1,
        1,
        0,
        False,
        False,
    )
    assert state.started_time is not None and state.archived_time is None and state.created_time is not None
    assert runtime.has_state(NODE) and runtime.get_state_or_none("missing") is None
    with pytest.raises(NotFoundError, match="missing"):
        runtime.get_state("missing")


def test_transitions_follow_the_state_machine(runtime):
    version = runtime.set_state(NODE, states.RUNNING)
    assert runtime.set_state(NODE, states.FINISHED, set_archive_time=True) == version
    with pytest.raises(InvalidOperationError, match="FINISHED to READY"):
        runtime.set_state(NODE, states.READY)
    assert runtime.get_state(NODE).name == states.FINISHED
    assert runtime.get_state(NODE).archived_time is not None


def test_version_must_match_when_given(runtime):
    runtime.set_state(NODE, states.RUNNING)
    with pytest.raises(StateVersionNotMatchError):
        runtime.set_state(NODE, states.FAILED, version="v-stale")
    assert runtime.get_state(NODE).name == states.RUNNING


def test_ignore_boring_set_is_a_no_op(runtime):
    version = runtime.set_state(NODE, states.RUNNING)
    runtime.set_state(NODE, states.FINISHED)
    assert runtime.set_state(NODE, states.FINISHED, ignore_boring_set=True, set_archive_time=True) == version
    assert runtime.get_state(NODE).archived_time is None


def test_counters_flags_and_times(runtime):
    first = runtime.set_state(NODE, states.RUNNING, set_started_time=True)
    runtime.set_state(NODE, states.FAILED, set_archive_time=True)
    second = runtime.set_state(
        NODE,
        states.READY,
        is_retry=True,
        refresh_version=True,
        clear_started_time=True,
        clear_archived_time=True,
    )
    state = runtime.get_state(NODE)
    assert second != first and state.version == second
    assert (state.retry, state.started_time, state.archived_time) == (1, None, None)
    runtime.set_state(
        NODE, states.RUNNING, loop=3, inner_loop=2, is_retry=True, is_skip=True, error_ignored=True
    )
    state = runtime.get_state(NODE)
    assert (state.loop, state.inner_loop, state.retry, state.skip, state.error_ignored) == (
        3,
        2,
        2,
        True,
        True,
    )
    runtime.set_state(NODE, states.FINISHED, reset_retry=True, reset_skip=True, reset_error_ignored=True)
    state = runtime.get_state(NODE)
    assert (state.retry, state.skip, state.error_ignored) == (0, False, False)


def test_post_set_state_signal(runtime):
    received = []

    def receiver(sender, **kwargs):
        received.append((sender, kwargs))

    signals.post_set_state.connect(receiver)
    try:
        version = runtime.set_state(NODE, states.RUNNING, root_id="r", parent_id="p", loop=2)
        runtime.set_state(NODE, states.FINISHED, send_post_set_state_signal=False)
    finally:
        signals.post_set_state.disconnect(receiver)
    assert len(received) == 1
    sender, kwargs = received[0]
    assert sender is StateModel
    assert {k: kwargs[k] for k in ("node_id", "to_state", "version", "root_id", "parent_id", "loop")} == {
        "node_id": NODE,
        "to_state": "RUNNING",
        "version": version,
        "root_id": "r",
        "parent_id": "p",
        "loop": 2,
    }


def test_batch_reads_and_bulk_changes(runtime):
    for index in range(3):
        runtime.set_state(f"child{index}", states.RUNNING, root_id="root", parent_id="sub")
    runtime.set_state("other", states.RUNNING, root_id="root", parent_id="root")
    assert runtime.batch_get_state_name(["child0", "other", "nope"]) == {
        "child0": "RUNNING",
        "other": "RUNNING",
    }
    assert set(runtime.batch_get_state_version(["child1"])) == {"child1"}
    assert {s.node_id for s in runtime.get_state_by_root("root")} == {"child0", "child1", "child2", "other"}
    assert {s.node_id for s in runtime.get_state_by_parent("sub")} == {"child0", "child1", "child2"}
    assert runtime.reset_children_state_inner_loop("sub") == 3
    assert runtime.get_state("child0").inner_loop == 0 and runtime.get_state("other").inner_loop == 1
    runtime.reset_state_inner_loop("other")
    assert runtime.get_state("other").inner_loop == 0
    runtime.set_state_root_and_parent("other", "r2", "p2")
    assert (runtime.get_state("other").root_id, runtime.get_state("other").parent_id) == ("r2", "p2")


def test_a_stale_memo_never_allows_a_wrong_transition(transactional_db):
    worker, operator = BambooDjangoRuntime(), BambooDjangoRuntime()
    worker.set_state(NODE, states.RUNNING)  # the worker remembers RUNNING
    operator.set_state(NODE, states.SUSPENDED)
    with pytest.raises(InvalidOperationError, match="SUSPENDED to FINISHED"):
        worker.set_state(NODE, states.FINISHED)
    operator.set_state(NODE, states.RUNNING)
    current = operator.get_state(NODE).version
    # The worker's memory of the row is gone or stale; the version check uses the database row.
    worker.set_state(NODE, states.FINISHED, version=current)
    assert operator.get_state(NODE).name == states.FINISHED


def test_a_memo_in_the_target_state_does_not_hide_a_change(transactional_db):
    worker, operator = BambooDjangoRuntime(), BambooDjangoRuntime()
    worker.set_state(NODE, states.RUNNING)
    worker.set_state(NODE, states.FAILED)  # the worker remembers FAILED
    operator.set_state(NODE, states.READY, refresh_version=True)
    operator.set_state(NODE, states.RUNNING)
    worker.set_state(NODE, states.FAILED, ignore_boring_set=True, set_archive_time=True)
    state = operator.get_state(NODE)
    assert state.name == states.FAILED and state.archived_time is not None


def test_concurrent_transitions_succeed_once(transactional_db):
    BambooDjangoRuntime().set_state(NODE, states.RUNNING)

    def finish(_):
        return BambooDjangoRuntime().set_state(NODE, states.FINISHED)

    results = run_concurrently(finish, 6)
    winners = [r for r in results if isinstance(r, str)]
    assert len(winners) == 1, results
    assert all(isinstance(r, InvalidOperationError) for r in results if not isinstance(r, str))


def test_concurrent_creates_make_one_row(transactional_db):
    results = run_concurrently(lambda _: BambooDjangoRuntime().set_state(NODE, states.RUNNING), 4)
    versions = {r for r in results if isinstance(r, str)}
    assert StateModel.objects.filter(node_id=NODE).count() == 1
    assert len(versions) == 1 and all(isinstance(r, str | InvalidOperationError) for r in results), results
