"""Rules of ``bamboo_engine.rollback`` that need a moment the contract suite cannot pick: races with the
engine, messages delivered twice, a unit that fails half way (in-memory runtime, synchronous)."""

import pytest

from bamboo_engine import api
from bamboo_engine.engine import Engine
from bamboo_engine.engine.hooks import NodeFinisher
from bamboo_engine.exceptions import RollbackError
from bamboo_engine.rollback import operations
from bamboo_engine.rollback.checks import load_run
from bamboo_engine.rollback.paths import plan_path
from bamboo_engine.rollback.restart import restart_from_target
from tests.contract.harness import InMemoryHarness
from tests.contract.rollback_support import Ledger, node_states
from tests.contract.services import register_all
from tests.contract.trees import linear_tree


@pytest.fixture
def rb():
    harness = InMemoryHarness()
    register_all(harness)
    harness.enable_rollback()
    yield harness
    harness.close()


@pytest.fixture
def ledger(tmp_path):
    return Ledger(str(tmp_path / "ledger.jsonl"))


def _failed_chain(rb, ledger, fail="until_rollback"):
    a, b, c = ledger.undo("a"), ledger.undo("b"), ledger.undo("c", fail=fail)
    root = rb.start(linear_tree(a, b, c))
    rb.wait_for_state(c.id, "FAILED")
    return root, a.id, b.id, c.id


def _waiting_chain(rb, ledger):
    a, w, d = ledger.undo("a"), ledger.undo("w", code="undo_callback_node"), ledger.undo("d")
    root = rb.start(linear_tree(a, w, d))
    rb.wait_callback_ready(w.id)
    return root, a.id, w.id, d.id


def test_a_node_that_ran_twice_is_undone_latest_run_first(rb, ledger):
    root, a, _, c = _failed_chain(rb, ledger)
    [first] = rb.runtime._pending_node_snapshots(root, a)
    rb.runtime.set_node_snapshot(root, a, first.code, first.version, {}, first.inputs, {"made": "a-again"})
    rb.rollback_api("rollback", root, c, a)
    rb.wait_for_state(root, "FINISHED")
    assert [e["outputs"]["made"] for e in ledger.rollback_of("a")] == ["a-again", "a-made"]


def test_a_rollback_message_delivered_again_changes_nothing(rb, ledger):
    root, a, _, c = _failed_chain(rb, ledger)
    assert rb.rollback_api("rollback", root, c, a).result
    [message] = [t for t in rb.runtime._dispatcher.pending() if t.kind == "rollback"]
    rb.wait_for_state(root, "FINISHED")
    events = ledger.events()
    rb.runtime.run_rollback_message(**message.kwargs)
    assert ledger.events() == events and rb.state_name(root) == "FINISHED"


def test_the_engine_reads_the_reservation_again_when_the_node_finishes(rb, ledger):
    root, a, w, _ = _waiting_chain(rb, ledger)
    stale = rb.runtime.get_node(w)  # what a step read before the reservation was written
    assert rb.rollback_api("reserve_rollback", root, w, a).result
    assert stale.reserve_rollback is False
    finisher = NodeFinisher(Engine(rb.runtime), root)
    assert finisher.finished(stale, root) is False  # stop: a rollback is reserved


def test_a_reservation_gone_when_the_node_finishes_lets_the_process_go_on(rb, ledger):
    root, a, w, _ = _waiting_chain(rb, ledger)
    assert rb.rollback_api("reserve_rollback", root, w, a).result
    [reservation] = rb.runtime._live_reservations(root)
    rb.runtime._expire_reservation(reservation.id)  # cancelled after the engine saw the flag
    rb.callback(w, {})
    rb.wait_for_state(root, "FINISHED")
    assert ledger.rollbacks() == [] and ledger.executions() == ["a", "w", "d"]
    assert rb.runtime.get_node(w).reserve_rollback is False


def test_a_reserved_rollback_refused_when_its_node_finishes_lets_the_process_go_on(rb, ledger):
    root, a, w, d = _waiting_chain(rb, ledger)
    assert rb.rollback_api("reserve_rollback", root, w, a).result
    assert api.revoke_pipeline(rb.runtime, root).result
    rb.callback(w, {})
    rb.run_until_idle()
    # Sent on to d: the engine sees the pipeline revoked there and ends the process.
    assert ledger.rollbacks() == [] and d not in node_states(rb, root)
    assert rb.runtime.get_process_info_with_root_pipeline(root) == []
    assert rb.runtime._live_reservations(root) == []


def test_a_node_that_finished_while_reserving_takes_the_reservation_back(rb, ledger):
    root, a, _, c = _failed_chain(rb, ledger, fail="always")
    reservation_id = rb.runtime._create_reservation(root, a, a, "TOKEN", {})
    rb.runtime.set_reserve_rollback(a, True)
    with pytest.raises(RollbackError, match=f"start node {a} finished while the rollback was reserved"):
        operations._unless_finished_meanwhile(rb.runtime, a, reservation_id)
    assert rb.runtime._live_reservations(root) == [] and rb.runtime.get_node(a).reserve_rollback is False

    # The engine took it first (the expire is lost): the reservation went ahead, nothing to refuse.
    taken = rb.runtime._create_reservation(root, a, a, "TOKEN", {})
    assert rb.runtime._expire_reservation(taken)
    operations._unless_finished_meanwhile(rb.runtime, a, taken)


def test_a_restart_that_fails_half_way_leaves_everything_as_it_was(rb, ledger, monkeypatch):
    root, a, b, c = _failed_chain(rb, ledger, fail="always")
    before = node_states(rb, root)

    def broken_execute(**kwargs):
        raise ConnectionError("broker away")

    monkeypatch.setattr(rb.runtime, "execute", broken_execute)
    with pytest.raises(ConnectionError):
        operations.rollback(rb.runtime, root, c, a, mode="ANY")
    assert node_states(rb, root) == before and rb.state_name(root) == "RUNNING"
    assert rb.runtime._pending_node_snapshots(root, a) and rb.runtime.store.rollback_records == {}
    assert rb.runtime._process_rows(root)[0].current_node_id == c
    assert rb.runtime.get_execution_data_outputs(b)["made"] == "b-made"


def test_of_two_rollbacks_from_the_same_stop_only_one_goes_on(rb, ledger):
    root, a, b, c = _failed_chain(rb, ledger, fail="always")
    stale_view = load_run(rb.runtime, root)  # what a second caller read before the first one committed
    path = plan_path(stale_view.nodes, root, c, a)
    operations.rollback(rb.runtime, root, c, b, mode="ANY")
    with pytest.raises(RollbackError, match=f"the process stopped at {c} went on meanwhile"):
        restart_from_target(rb.runtime, stale_view, path, c, a, [])
    rb.run_until_idle()
    assert ledger.executions() == ["a", "b", "c", "b", "c"]
