"""Worker death right after a node finished, for every node whose way on is not a single flow.

The dead run finished the node (a fork, a gateway's choice, an end event, a schedule that finished its
activity) but its process never moved on. The redelivery of its message must continue the run from the
rows the node left, without setting any node FINISHED twice: the pipeline finishes, every node has
loop 1, and ``post_set_state`` saw one FINISHED per node.
"""

from collections import Counter

import pytest

from bamboo_engine.builder import (
    ConvergeGateway,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    build_tree,
)
from bamboo_engine.builder import ParallelGateway as ParallelGatewayElement
from pipeline.eri import signals
from pipeline.eri.celery.delivery import keeper
from pipeline.eri.celery.queues import SCHEDULE_TASK_NAME
from pipeline.eri.imp.process import ProcessMixin
from pipeline.eri.imp.state import StateMixin
from pipeline.eri.imp.task import TaskMixin
from pipeline.eri.models import Process, Schedule, State
from tests.contract import trees
from tests.django.test_delivery_takeover import (
    CALLS,
    CountingService,
    _assert_each_node_entered_once,
    _crash,
    _end_lease,
    _next,
)


@pytest.fixture
def crashes(harness):
    CALLS.clear()
    harness.register_service("counting_node", CountingService)
    yield harness
    CALLS.clear()
    for token in keeper.held():
        keeper.release(token)


@pytest.fixture
def finished():
    """How often each node was set FINISHED (committed or not: the kills here happen outside units)."""
    seen: Counter = Counter()

    def count(sender, node_id, to_state, **kwargs):
        if to_state == "FINISHED":
            seen[node_id] += 1

    signals.post_set_state.connect(count, dispatch_uid="test-finished-counter")
    yield seen
    signals.post_set_state.disconnect(dispatch_uid="test-finished-counter")


def _die_once(monkeypatch, owner, name, when):
    """Make ``owner.name`` raise SystemExit (a killed worker) the first time ``when(*args)`` holds."""
    original = getattr(owner, name)

    def dying(self, *args, **kwargs):
        if not CALLS["killed"] and when(*args, **kwargs):
            CALLS["killed"] += 1
            raise SystemExit(f"worker killed in {name}")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(owner, name, dying)


def _redeliver_after_lease(harness, message) -> None:
    _end_lease(message)
    harness.broker.deliver(message)
    harness.run_until_idle()


def _assert_finished_once(harness, root, finished) -> None:
    _assert_each_node_entered_once(harness, root)
    once = {node_id for (node_id,) in State.objects.filter(name="FINISHED").values_list("node_id")}
    assert {node_id: finished[node_id] for node_id in once} == dict.fromkeys(once, 1)


def test_a_fork_killed_before_its_join_dispatches_the_children_it_forked(crashes, finished, monkeypatch):
    branches = [trees.activity("counting_node") for _ in range(3)]
    start, pg, cg, end = EmptyStartEvent(), ParallelGatewayElement(), ConvergeGateway(), EmptyEndEvent()
    start.extend(pg).connect(*branches).converge(cg).extend(end)
    _die_once(monkeypatch, ProcessMixin, "join", lambda process_id, children: True)
    root = crashes.start(build_tree(start))
    first = crashes.broker.pop()

    _crash(crashes, first)
    parent = Process.objects.get(root_pipeline_id=root, parent_id=-1)
    assert (parent.asleep, crashes.state_name(pg.id)) == (False, "FINISHED")
    assert Process.objects.filter(parent_id=parent.id, dead=False).count() == 3
    assert crashes.broker.pop() is None  # the children's messages rolled back with the join

    _redeliver_after_lease(crashes, first)

    _assert_finished_once(crashes, root, finished)
    assert CALLS["execute"] == 3


def test_an_exclusive_gateway_killed_after_its_choice_goes_on_along_the_chosen_flow(
    crashes, finished, monkeypatch
):
    chosen, other = trees.activity("counting_node"), trees.activity("counting_node")
    eg = ExclusiveGateway(conditions={0: "1 == 1", 1: "1 == 0"})
    tree, _ = trees.gateway_tree(eg, [chosen, other])
    _die_once(monkeypatch, ProcessMixin, "set_current_node", lambda process_id, node_id: node_id == chosen.id)
    root = crashes.start(tree)
    first = crashes.broker.pop()

    _crash(crashes, first)
    assert crashes.state_name(eg.id) == "FINISHED"

    _redeliver_after_lease(crashes, first)

    _assert_finished_once(crashes, root, finished)
    assert not State.objects.filter(node_id=other.id).exists()
    assert CALLS["execute"] == 1


def test_a_subprocess_end_killed_before_the_subprocess_finished_finishes_it(crashes, finished, monkeypatch):
    sub = trees.subprocess(trees.activity("counting_node"))
    after = trees.activity("counting_node")
    _die_once(
        monkeypatch,
        StateMixin,
        "set_state",
        lambda node_id, to_state, **kw: (node_id, to_state) == (sub.id, "FINISHED"),
    )
    root = crashes.start(trees.linear_tree(sub, after))
    first = crashes.broker.pop()

    _crash(crashes, first)
    assert crashes.state_name(sub.id) == "RUNNING"

    _redeliver_after_lease(crashes, first)

    _assert_finished_once(crashes, root, finished)
    assert CALLS["execute"] == 2


def test_a_root_end_killed_before_the_pipeline_finished_finishes_it(crashes, finished, monkeypatch):
    end = EmptyEndEvent()
    tree = trees.linear_tree(trees.activity("counting_node"), end=end)
    root_id = tree["id"]
    _die_once(
        monkeypatch,
        StateMixin,
        "set_state",
        lambda node_id, to_state, **kw: (node_id, to_state) == (root_id, "FINISHED"),
    )
    root = crashes.start(tree)
    first = crashes.broker.pop()

    _crash(crashes, first)
    assert (crashes.state_name(end.id), crashes.state_name(root)) == ("FINISHED", "RUNNING")

    _redeliver_after_lease(crashes, first)

    _assert_finished_once(crashes, root, finished)
    assert Process.objects.get(root_pipeline_id=root).dead


def test_a_schedule_killed_before_sending_the_next_execute_continues_the_process(
    crashes, finished, monkeypatch
):
    act, after = trees.activity("poll_node", polls=1), trees.activity("counting_node")
    _die_once(monkeypatch, TaskMixin, "execute", lambda **kw: kw.get("node_id") == after.id)
    root = crashes.start(trees.linear_tree(act, after))
    poll = _next(crashes, SCHEDULE_TASK_NAME)

    _crash(crashes, poll)
    assert Schedule.objects.get(node_id=act.id).finished
    assert crashes.state_name(act.id) == "FINISHED" and crashes.state_name(after.id) is None
    assert crashes.broker.pop() is None  # the next node's message never went out

    _redeliver_after_lease(crashes, poll)

    _assert_finished_once(crashes, root, finished)
    assert CALLS["execute"] == 1


def _crash_on_the_dying_message(harness):
    """Deliver messages until one kills the worker; return that message."""
    while True:
        message = harness.broker.pop()
        assert message is not None, "no message killed the worker"
        try:
            harness.broker.deliver(message)
        except SystemExit:
            return message


def test_a_converge_wake_up_killed_before_its_first_node_goes_on_at_the_converge_gateway(
    crashes, finished, monkeypatch
):
    # The parent is awake at its finished parallel gateway when its wake-up message starts: the message,
    # not the process row, says where it goes on.
    branches = [trees.activity("counting_node") for _ in range(2)]
    start, pg, cg, end = EmptyStartEvent(), ParallelGatewayElement(), ConvergeGateway(), EmptyEndEvent()
    start.extend(pg).connect(*branches).converge(cg).extend(end)
    # the message's wake-up makes its first node current in the same write (wake_up_at): killed before it
    _die_once(monkeypatch, ProcessMixin, "wake_up_at", lambda process_id, node_id: node_id == cg.id)
    root = crashes.start(build_tree(start))

    wake_up = _crash_on_the_dying_message(crashes)
    parent = Process.objects.get(root_pipeline_id=root, parent_id=-1)
    assert (parent.asleep, parent.current_node_id, wake_up.kwargs["node_id"]) == (False, pg.id, cg.id)

    _redeliver_after_lease(crashes, wake_up)

    _assert_finished_once(crashes, root, finished)
    assert CALLS["execute"] == 2


def test_the_next_node_message_of_a_schedule_killed_before_its_first_node_runs_that_node(
    crashes, finished, monkeypatch
):
    act, after = trees.activity("poll_node", polls=1), trees.activity("counting_node")
    _die_once(monkeypatch, ProcessMixin, "wake_up_at", lambda process_id, node_id: node_id == after.id)
    root = crashes.start(trees.linear_tree(act, after))

    message = _crash_on_the_dying_message(crashes)
    assert message.kwargs["node_id"] == after.id
    assert Process.objects.get(root_pipeline_id=root).current_node_id == act.id

    _redeliver_after_lease(crashes, message)

    _assert_finished_once(crashes, root, finished)
    assert CALLS["execute"] == 1


def test_a_fork_killed_after_its_children_were_stored_sends_those_children(crashes, finished, monkeypatch):
    # The children's rows committed, the gateway is still RUNNING: the takeover runs the gateway again,
    # which must send the children it stored, not fork a second set that nobody runs.
    branches = [trees.activity("counting_node") for _ in range(3)]
    start, pg, cg, end = EmptyStartEvent(), ParallelGatewayElement(), ConvergeGateway(), EmptyEndEvent()
    start.extend(pg).connect(*branches).converge(cg).extend(end)
    _die_once(
        monkeypatch,
        StateMixin,
        "set_state",
        lambda node_id, to_state, **kw: (node_id, to_state) == (pg.id, "FINISHED"),
    )
    root = crashes.start(build_tree(start))
    first = crashes.broker.pop()

    _crash(crashes, first)
    assert crashes.state_name(pg.id) == "RUNNING"
    assert Process.objects.filter(root_pipeline_id=root, dead=False).count() == 4

    _redeliver_after_lease(crashes, first)

    _assert_finished_once(crashes, root, finished)
    assert CALLS["execute"] == 3
    assert Process.objects.filter(root_pipeline_id=root).count() == 4
    assert not Process.objects.filter(root_pipeline_id=root, dead=False).exists()
