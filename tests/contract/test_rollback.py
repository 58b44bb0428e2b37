"""Rollback (``bamboo_engine.rollback``; ``pipeline.contrib.rollback.api`` on Django) on every runtime.

TOKEN mode in a serial chain and inside parallel branches, the refusals, ANY mode (with and without the
token check), ``skip_rollback_nodes``, the automatic continue on and off, and subprocesses. Reservations
and failing rollbacks are in ``test_rollback_reserve_retry.py``.
"""

import pytest

from bamboo_engine import api
from bamboo_engine.builder import (
    ConvergeGateway,
    EmptyEndEvent,
    EmptyStartEvent,
    ParallelGateway,
    build_tree,
)
from tests.contract.rollback_support import Ledger, node_states, ok, refused
from tests.contract.trees import linear_tree, subprocess

PARENT = {"operator": "alice"}


@pytest.fixture
def rb(harness):
    harness.enable_rollback()
    return harness


def _chain(ledger: Ledger, **last_inputs):
    a, b, c = ledger.undo("a"), ledger.undo("b"), ledger.undo("c", **last_inputs)
    return linear_tree(a, b, c), a.id, b.id, c.id


def _parallel(ledger: Ledger, first_branch_fails="until_rollback", other_code="undo_node"):
    """``start → a → pg ⇉ (b1 → b2 | c1) ⇉ cg → d → end``; b2 fails as told."""
    start, end, pg, cg = EmptyStartEvent(), EmptyEndEvent(), ParallelGateway(), ConvergeGateway()
    a, b1, b2, c1, d = (
        ledger.undo("a"),
        ledger.undo("b1"),
        ledger.undo("b2", fail=first_branch_fails),
        ledger.undo("c1", code=other_code),
        ledger.undo("d"),
    )
    start.extend(a).extend(pg).connect(b1, c1)
    b1.extend(b2).extend(cg)
    c1.extend(cg)
    cg.extend(d).extend(end)
    return build_tree(start), {e.name: e.id for e in (a, b1, b2, c1, d)}


# ------------------------------------------------------------------------------------------- TOKEN
def test_token_rollback_of_a_serial_chain(rb, ledger):
    tree, a, b, c = _chain(ledger, fail="until_rollback")
    root = rb.start(tree, root_pipeline_data=PARENT)
    rb.wait_for_state(c, "FAILED")

    assert ok(rb.rollback_api("get_allowed_rollback_node_id_list", root, c)) == [a, b]
    ok(rb.rollback_api("rollback", root, c, a))

    rb.wait_for_state(root, "FINISHED")
    # Latest first, each with what its run produced and the parent data it ran with; c failed: not undone.
    assert ledger.rollbacks() == ["b", "a"]
    assert [e["outputs"]["made"] for e in ledger.rollback_of("b") + ledger.rollback_of("a")] == [
        "b-made",
        "a-made",
    ]
    assert all(e["parent"] == PARENT and e["rollback_data"] is None for e in ledger.rollback_of("a"))
    assert ledger.executions() == ["a", "b", "c", "a", "b", "c"]
    assert {node_states(rb, root)[n] for n in (a, b, c)} == {"FINISHED"}


def test_token_rollback_refused_across_parallel_branches_allowed_within_one(rb, ledger):
    tree, ids = _parallel(ledger)
    root = rb.start(tree)
    rb.wait_for_state(ids["b2"], "FAILED")
    rb.wait_for_state(ids["c1"], "FINISHED")

    refused(rb, rb.rollback_api("rollback", root, ids["b2"], ids["c1"]), "different token regions")
    refused(rb, rb.rollback_api("rollback", root, ids["b2"], ids["a"]), "different token regions")
    assert ok(rb.rollback_api("get_allowed_rollback_node_id_list", root, ids["b2"])) == [ids["b1"]]
    assert rb.state_name(root) == "RUNNING" and ledger.rollbacks() == []

    # Within the branch: its process runs b1 again and joins the others at the converge gateway.
    ok(rb.rollback_api("rollback", root, ids["b2"], ids["b1"]))
    rb.wait_for_state(root, "FINISHED")
    assert ledger.rollbacks() == ["b1"]
    assert ledger.executions().count("b1") == 2 and ledger.executions().count("c1") == 1
    assert ledger.executions()[-1] == "d"


def test_skip_rollback_nodes_are_not_undone(rb, ledger):
    tree, a, b, c = _chain(ledger, fail="until_rollback")
    root = rb.start(tree)
    rb.wait_for_state(c, "FAILED")
    # The first execute of c saw no rollback yet; b is skipped, a is rolled back.
    ok(rb.rollback_api("rollback", root, c, a, skip_rollback_nodes=[b]))
    rb.wait_for_state(root, "FINISHED")
    assert ledger.rollbacks() == ["a"]
    assert ledger.executions() == ["a", "b", "c", "a", "b", "c"]


# ------------------------------------------------------------------------------------------ refusals
def test_refusals_say_why(rb, ledger):
    tree, a, b, c = _chain(ledger, fail="always")
    root = rb.start(tree)
    rb.wait_for_state(c, "FAILED")

    refused(rb, rb.rollback_api("rollback", root, c, a, mode="SIDEWAYS"), "mode 'SIDEWAYS' is not supported")
    refused(
        rb,
        rb.rollback_api("rollback", root, b, a),
        f"no process of pipeline {root} stopped at start node {b}",
    )
    refused(rb, rb.rollback_api("rollback", root, a, c), f"target node {c} is FAILED")
    refused(rb, rb.rollback_api("rollback", root, c, tree["start_event"]["id"] + "x"), "has not run")
    refused(rb, rb.rollback_api("rollback", "nope", c, a), "pipeline nope has no state")
    refused(rb, rb.rollback_api("retry_rollback_failed_node", root, c), f"pipeline {root} is RUNNING")
    assert rb.state_name(root) == "RUNNING" and ledger.rollbacks() == []

    finished_tree, x, _, z = _chain(Ledger(ledger.path + ".2"))
    finished_root = rb.run_to_end(finished_tree)
    refused(rb, rb.rollback_api("rollback", finished_root, z, x), f"pipeline {finished_root} is FINISHED")


def test_a_run_started_without_rollback_has_no_tokens(harness, ledger):
    tree, a, _, c = _chain(ledger, fail="always")
    root = harness.start(tree)
    harness.wait_for_state(c, "FAILED")
    harness.enable_rollback()
    refused(harness, harness.rollback_api("rollback", root, c, a), "PIPELINE_ENABLE_ROLLBACK was off")


# --------------------------------------------------------------------------------------------- ANY
def test_any_mode_jumps_back_without_calling_rollback(rb, ledger):
    tree, a, b, c = _chain(ledger, fail="first_run")
    root = rb.start(tree)
    rb.wait_for_state(c, "FAILED")

    ok(rb.rollback_api("rollback", root, c, b, mode="ANY"))
    rb.wait_for_state(root, "FINISHED")
    assert ledger.rollbacks() == []
    assert ledger.executions() == ["a", "b", "c", "b", "c"]


def test_any_mode_across_regions_ends_the_stale_branch_processes(rb, ledger):
    # c1 waits for a callback in its own branch while b2 fails: jumping back before the parallel gateway
    # ends c1's process; the gateway forks again and only the new run of c1 takes a callback.
    tree, ids = _parallel(ledger, first_branch_fails="first_run", other_code="undo_callback_node")
    root = rb.start(tree)
    rb.wait_for_state(ids["b2"], "FAILED")
    old_version = rb.wait_callback_ready(ids["c1"])

    refused(rb, rb.rollback_api("rollback", root, ids["b2"], ids["a"], mode="ANY"), "different token regions")
    allowed = ok(
        rb.rollback_api(
            "get_allowed_rollback_node_id_list", root, ids["b2"], mode="ANY", skip_check_token=True
        )
    )
    assert allowed == [ids["a"], ids["b1"]]
    ok(rb.rollback_api("rollback", root, ids["b2"], ids["a"], mode="ANY", skip_check_token=True))

    new_version = rb.wait_callback_ready(ids["c1"])
    assert new_version != old_version
    assert not api.callback(rb.runtime, ids["c1"], old_version, {}).result
    rb.callback(ids["c1"], {})
    rb.wait_for_state(root, "FINISHED")
    assert ledger.rollbacks() == []
    assert [ledger.executions().count(name) for name in ("a", "b1", "b2", "c1", "d")] == [2, 2, 2, 2, 1]
    alive = [p for p in rb.runtime.get_process_info_with_root_pipeline(root)]
    assert alive == []  # every process ended: none of the old branches is left behind


# ------------------------------------------------------------------------------------ auto continue
@pytest.mark.parametrize("mode", ["TOKEN", "ANY"])
def test_without_auto_continue_the_pipeline_waits_suspended(harness, ledger, mode):
    harness.enable_rollback(auto_continue=False)
    tree, a, b, c = _chain(ledger, fail="first_run")
    root = harness.start(tree)
    harness.wait_for_state(c, "FAILED")

    ok(harness.rollback_api("rollback", root, c, a, mode=mode))
    harness.wait_for_state(root, "SUSPENDED")
    harness.run_until_idle()
    assert harness.state_name(root) == "SUSPENDED"
    assert ledger.executions() == ["a", "b", "c"]
    assert ledger.rollbacks() == (["b", "a"] if mode == "TOKEN" else [])

    assert api.resume_pipeline(harness.runtime, root).result
    harness.wait_for_state(root, "FINISHED")
    assert ledger.executions() == ["a", "b", "c", "a", "b", "c"]


# ------------------------------------------------------------------------------------- subprocesses
def test_rollback_inside_a_subprocess(rb, ledger):
    x1, x2 = ledger.undo("x1"), ledger.undo("x2", fail="until_rollback")
    sub = subprocess(x1, x2)
    a = ledger.undo("a")
    tree = linear_tree(a, sub)
    root = rb.start(tree)
    rb.wait_for_state(x2.id, "FAILED")

    # The subprocess's nodes are a token region of their own, as upstream's tokens make them.
    refused(rb, rb.rollback_api("rollback", root, x2.id, a.id), "different token regions")
    assert ok(rb.rollback_api("get_allowed_rollback_node_id_list", root, x2.id)) == [x1.id]
    ok(rb.rollback_api("rollback", root, x2.id, x1.id))
    rb.wait_for_state(root, "FINISHED")
    assert ledger.rollbacks() == ["x1"]
    assert ledger.executions() == ["a", "x1", "x2", "x1", "x2"]


def test_rollback_over_a_whole_subprocess_undoes_its_activities(rb, ledger):
    x1, x2 = ledger.undo("x1"), ledger.undo("x2")
    a, c = ledger.undo("a"), ledger.undo("c", fail="until_rollback")
    tree = linear_tree(a, subprocess(x1, x2), c)
    root = rb.start(tree)
    rb.wait_for_state(c.id, "FAILED")

    ok(rb.rollback_api("rollback", root, c.id, a.id))
    rb.wait_for_state(root, "FINISHED")
    assert ledger.rollbacks() == ["x2", "x1", "a"]
    assert ledger.executions() == ["a", "x1", "x2", "c", "a", "x1", "x2", "c"]


def test_any_mode_goes_out_of_a_subprocess_but_not_into_one_that_ended(rb, ledger):
    x1, x2 = ledger.undo("x1"), ledger.undo("x2", fail="first_run")
    a = ledger.undo("a")
    root = rb.start(linear_tree(a, subprocess(x1, x2)))
    rb.wait_for_state(x2.id, "FAILED")

    ok(rb.rollback_api("rollback", root, x2.id, a.id, mode="ANY", skip_check_token=True))
    rb.wait_for_state(root, "FINISHED")
    assert ledger.executions() == ["a", "x1", "x2", "a", "x1", "x2"]

    y1, d = ledger.undo("y1"), ledger.undo("d", fail="always")
    second = rb.start(linear_tree(subprocess(y1), d))
    rb.wait_for_state(d.id, "FAILED")
    refused(
        rb,
        rb.rollback_api("rollback", second, d.id, y1.id, mode="ANY", skip_check_token=True),
        "which was left before start node",
    )
    assert y1.id not in ok(
        rb.rollback_api("get_allowed_rollback_node_id_list", second, d.id, mode="ANY", skip_check_token=True)
    )
