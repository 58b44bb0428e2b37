"""How many queries a run costs: printed for tuning, and the totals pinned as upper bounds so that a
statement once cut stays cut (counts, not timings: they only change when the runtime's design does).
The bounds are for the default test database (SQLite; MySQL adds its ``SET AUTOCOMMIT`` toggles)."""

from tests import trees as reference_trees
from tests.contract import trees
from tests.django.querycount import capture_queries, print_query_report

ACTIVITIES = 20


def _linear(code: str) -> dict:
    return trees.linear_tree(*[trees.activity(code, x=trees.plain(i)) for i in range(ACTIVITIES)])


def test_queries_per_plain_activity(harness):
    tree = _linear("empty_node")
    with capture_queries() as log:
        root = harness.run_to_end(tree)
    assert harness.state_name(root) == "FINISHED"
    print_query_report("plain activities (start + 20 activities + end)", log, ACTIVITIES + 2)
    assert len(log) <= 158, log.summary()


def test_queries_per_polled_activity(harness):
    tree = _linear("debug_node")
    with capture_queries() as log:
        root = harness.run_to_end(tree)
    assert harness.state_name(root) == "FINISHED"
    print_query_report("polled activities (debug_node, first poll inline)", log, ACTIVITIES + 2)
    assert len(log) <= 158, log.summary()
    # node data is read for a stretch of the chain at once (pipeline.eri.imp.data.nodes_ahead), not per node
    assert log.summary()["SELECT eri_data"] <= 4, log.summary()
    # a node entered the first time is set RUNNING in one statement, without a read of the states first
    # (set_running_if_fresh); the reads left are the run's own (prepare, the root's end)
    assert log.summary()["SELECT eri_state"] <= 4, log.summary()
    # one process write per node (current node + heartbeat; the message's wake-up carries the first
    # node's, wake_up_at) and one when the process ends
    assert log.summary()["UPDATE eri_process"] <= ACTIVITIES + 3, log.summary()
    # an inline first poll that ends the schedule counts its run in the write that finishes it
    assert log.summary()["UPDATE eri_schedule"] == ACTIVITIES, log.summary()


def test_queries_of_the_reference_pipeline(harness):
    """Scenario A (the benchmark's 17x100 tree): events, gateways, a subprocess, five messages."""
    with capture_queries() as log:
        root = harness.run_to_end(reference_trees.normal_pipeline(component_code="debug_node"))
    assert harness.state_name(root) == "FINISHED"
    print_query_report("reference pipeline (17 nodes run)", log, 17)
    assert len(log) <= 178, log.summary()
    # each message's wake-up makes its first node current in the same write (wake_up_at)
    assert log.summary()["UPDATE eri_process"] <= 31, log.summary()


def test_queries_of_a_start(harness):
    """``run_pipeline`` of a three-node tree: its rows, its root's state and its first message, in one
    transaction without savepoints but the state insert's."""
    tree = trees.linear_tree(trees.activity("debug_node", x=trees.plain(1)))
    with capture_queries() as log:
        harness.start(tree)
    print_query_report("start of a three-node pipeline", log, 3)
    assert len(log) <= 11, log.summary()
    summary = log.summary()
    # one savepoint: the state insert's (it may meet an existing row); the start's own block has none
    assert summary["SAVEPOINT"] <= 1, summary
    # the root's state is new: written without reading it first
    assert summary["SELECT eri_state"] == 0, summary
    # a starting root pipeline has no deadline config to look up (configs are of activities)
    assert not [kind for kind in summary if "node_timeout" in kind or "node_timer_event" in kind], summary
