"""Reserved rollbacks (reserve, cancel, firing when the node finishes) and failing rollbacks (the
pipeline stops ROLL_BACK_FAILED with the node and its error, a retry goes on) on every runtime."""

import pytest

from bamboo_engine import api
from tests.contract.rollback_support import Ledger, node_states, ok, refused
from tests.contract.services import ROLLBACK_RAISE_MESSAGE
from tests.contract.trees import linear_tree


@pytest.fixture
def rb(harness):
    harness.enable_rollback()
    return harness


def _waiting_chain(ledger: Ledger):
    """``a → w → d``: w waits for a callback (it stays RUNNING until the test sends one)."""
    a, w, d = ledger.undo("a"), ledger.undo("w", code="undo_callback_node"), ledger.undo("d")
    return linear_tree(a, w, d), a.id, w.id, d.id


# ------------------------------------------------------------------------------------- reservations
def test_a_reserved_rollback_fires_when_its_node_finishes(rb, ledger):
    tree, a, w, d = _waiting_chain(ledger)
    root = rb.start(tree, root_pipeline_data={"operator": "bob"})
    rb.wait_callback_ready(w)

    ok(rb.rollback_api("reserve_rollback", root, w, a))
    refused(rb, rb.rollback_api("reserve_rollback", root, w, a), "already has a reserved rollback")
    rb.callback(w, {})

    # w finished: it and a are undone (w with the outputs of its run), then a runs again and w waits.
    rb.wait_until(lambda: ledger.executions() == ["a", "w", "a", "w"], description="a and w run again")
    version = rb.wait_callback_ready(w)
    assert ledger.rollbacks() == ["w", "a"]
    assert ledger.rollback_of("w")[0]["outputs"]["made"] == "w-made"
    assert ledger.rollback_of("w")[0]["parent"] == {"operator": "bob"}
    assert d not in node_states(rb, root)
    # The reservation was used: finishing w again goes on to d.
    assert api.callback(rb.runtime, w, version, {}).result
    rb.wait_for_state(root, "FINISHED")
    assert ledger.executions() == ["a", "w", "a", "w", "d"]


def test_a_cancelled_reservation_lets_the_pipeline_go_on(rb, ledger):
    tree, a, w, d = _waiting_chain(ledger)
    root = rb.start(tree)
    rb.wait_callback_ready(w)

    ok(rb.rollback_api("reserve_rollback", root, w, a))
    ok(rb.rollback_api("cancel_reserved_rollback", root, w, a))
    refused(rb, rb.rollback_api("cancel_reserved_rollback", root, w, a), "has no reserved rollback")
    assert rb.runtime.get_node(w).reserve_rollback is False
    rb.callback(w, {})

    rb.wait_for_state(root, "FINISHED")
    assert ledger.rollbacks() == []
    assert ledger.executions() == ["a", "w", "d"]


def test_reserve_refusals(rb, ledger):
    tree, a, w, d = _waiting_chain(ledger)
    root = rb.start(tree)
    rb.wait_callback_ready(w)
    refused(rb, rb.rollback_api("reserve_rollback", root, a, a), f"start node {a} is FINISHED")
    refused(rb, rb.rollback_api("reserve_rollback", root, w, d), f"target node {d} has not run")
    refused(rb, rb.rollback_api("cancel_reserved_rollback", root, w, a), "has no reserved rollback")
    assert rb.runtime.get_node(w).reserve_rollback is False


# --------------------------------------------------------------------------------- failing rollback
@pytest.mark.parametrize("how", ["raise", "false"])
def test_a_failing_rollback_stops_there_and_a_retry_goes_on(rb, ledger, how):
    a, b = ledger.undo("a", rollback_fails=how), ledger.undo("b")
    c = ledger.undo("c", fail="until_rollback")
    root = rb.start(linear_tree(a, b, c))
    rb.wait_for_state(c.id, "FAILED")

    ok(rb.rollback_api("rollback", root, c.id, a.id))
    rb.wait_for_state(root, "ROLL_BACK_FAILED")
    rb.run_until_idle()
    # Stopped at a, with the error on a; b's rollback is done; c and the process wait where they were.
    states = node_states(rb, root)
    assert (states[a.id], states[b.id], states[c.id]) == ("ROLL_BACK_FAILED", "ROLL_BACK_SUCCESS", "FAILED")
    expected = ROLLBACK_RAISE_MESSAGE if how == "raise" else "returned False"
    assert expected in rb.outputs(a.id)["ex_data"] and a.id in rb.outputs(a.id)["ex_data"]
    assert ledger.rollbacks() == ["b", "a"] and ledger.executions() == ["a", "b", "c"]

    refused(
        rb, rb.rollback_api("retry_rollback_failed_node", root, b.id), f"node {b.id} is ROLL_BACK_SUCCESS"
    )
    refused(rb, rb.rollback_api("retry_rollback_failed_node", root, a.id, mode="ANY"), "nothing to retry")
    ok(rb.rollback_api("retry_rollback_failed_node", root, a.id, {"fixed": True}))
    rb.wait_for_state(root, "FINISHED")
    # Only a is called again, with the retry data; b's rollback is not repeated.
    assert ledger.rollbacks() == ["b", "a", "a"]
    assert ledger.rollback_of("a")[-1]["rollback_data"] == {"fixed": True}
    assert ledger.executions() == ["a", "b", "c", "a", "b", "c"]


def test_a_failed_rollback_can_be_given_up_with_an_any_rollback(rb, ledger):
    a, b = ledger.undo("a", rollback_fails="raise"), ledger.undo("b")
    c = ledger.undo("c", fail="until_rollback")
    root = rb.start(linear_tree(a, b, c))
    rb.wait_for_state(c.id, "FAILED")
    ok(rb.rollback_api("rollback", root, c.id, a.id))
    rb.wait_for_state(root, "ROLL_BACK_FAILED")

    ok(rb.rollback_api("rollback", root, c.id, a.id, mode="ANY"))
    rb.wait_for_state(root, "FINISHED")
    assert ledger.rollbacks() == ["b", "a"]
    assert ledger.executions() == ["a", "b", "c", "a", "b", "c"]
