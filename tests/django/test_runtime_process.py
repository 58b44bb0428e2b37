"""ProcessMixin of the Django runtime: process flags, fork/join and the child-finished handshake."""

import json

import pytest

from bamboo_engine.exceptions import NotFoundError
from pipeline.eri.models import Process
from pipeline.eri.runtime import BambooDjangoRuntime
from tests.contract import trees
from tests.django.threads import run_concurrently


def _root(runtime, queue="q", priority=7):
    return runtime.create_process("root", ["root"], queue=queue, priority=priority)


def test_process_info_and_flags(runtime):
    pid = _root(runtime)
    info = runtime.get_process_info(pid)
    assert (info.process_id, info.root_pipeline_id, info.pipeline_stack, info.parent_id) == (
        pid,
        "root",
        ["root"],
        -1,
    )
    runtime.set_current_node(pid, "node")
    assert runtime.get_current_node_id(pid) == "node"
    assert runtime.get_sleep_process_info_with_current_node_id("node").process_id == pid  # created asleep
    assert runtime.wake_up_if_sleeping_at(pid, "node") is True
    assert runtime.wake_up_if_sleeping_at(pid, "node") is False
    assert runtime.get_sleep_process_info_with_current_node_id("node") is None
    assert runtime.get_process_id_with_current_node_id("node") == pid
    runtime.suspend(pid, by="root")
    assert [p.process_id for p in runtime.get_suspended_process_info("root")] == [pid]
    runtime.batch_resume([pid])
    assert runtime.get_suspended_process_info("root") == []
    runtime.freeze(pid)
    assert runtime.is_frozen(pid)
    runtime.set_pipeline_stack(pid, ["root", "sub"])
    assert runtime.get_process_info(pid).top_pipeline_id == "sub"
    runtime.kill(pid)
    assert Process.objects.get(id=pid).asleep
    runtime.die(pid)
    assert runtime.get_process_info_with_root_pipeline("root") == []
    with pytest.raises(NotFoundError):
        runtime.get_process_info(pid + 1000)


def test_fork_copies_stack_queue_and_priority(runtime):
    parent = _root(runtime)
    children = runtime.fork(str(parent), "root", ["root", "sub"], {"a": "cg", "b": "cg"})
    assert [c.node_id for c in children] == ["a", "b"]
    for child in children:
        row = Process.objects.get(id=child.process_id)
        assert (row.parent_id, row.destination_id, row.current_node_id) == (parent, "cg", child.node_id)
        assert (row.queue, row.priority, json.loads(row.pipeline_stack), row.asleep) == (
            "q",
            7,
            ["root", "sub"],
            True,
        )


def test_last_child_wakes_the_parent_once(runtime):
    parent = _root(runtime)
    runtime.sleep(parent)
    children = runtime.fork(str(parent), "root", ["root"], {"a": "cg", "b": "cg", "c": "cg"})
    runtime.join(parent, [c.process_id for c in children])
    assert runtime.child_process_finish(parent, children[0].process_id) is False
    assert runtime.child_process_finish(parent, children[0].process_id) is False  # duplicate report
    assert runtime.child_process_finish(parent, children[1].process_id) is False
    assert runtime.child_process_finish(parent, children[2].process_id) is True
    row = Process.objects.get(id=parent)
    assert (row.asleep, row.ack_num, row.need_ack) == (False, 0, -1)
    assert all(Process.objects.get(id=c.process_id).dead for c in children)


@pytest.mark.parametrize("children_count", [2, 8])
def test_concurrent_children_wake_the_parent_exactly_once(transactional_db, children_count):
    runtime = BambooDjangoRuntime()
    parent = _root(runtime)
    runtime.sleep(parent)
    from_to = {f"start{i}": "cg" for i in range(children_count)}
    children = runtime.fork(str(parent), "root", ["root"], from_to)
    runtime.join(parent, [c.process_id for c in children])

    def finish(index):
        return BambooDjangoRuntime().child_process_finish(parent, children[index].process_id)

    results = run_concurrently(finish, children_count)
    assert sorted(results, key=str) == [False] * (children_count - 1) + [True], results
    row = Process.objects.get(id=parent)
    assert (row.asleep, row.ack_num, row.need_ack) == (False, 0, -1)


def test_parallel_pipeline_converges(harness):
    branches = [trees.activity("copy_node", value=i) for i in range(6)]
    from bamboo_engine.builder import ParallelGateway

    tree, converge = trees.gateway_tree(ParallelGateway(), branches)
    root = harness.run_to_end(tree)
    assert harness.state_name(converge.id) == "FINISHED"
    processes = Process.objects.filter(root_pipeline_id=root)
    assert processes.count() == 7 and processes.filter(dead=True).count() == 7


def test_process_route_reads_the_row_once(runtime, django_assert_num_queries):
    """The route of a process comes from its row (a string queue, an integer priority), then the cache."""
    from pipeline.eri.cache import runtime_cache
    from pipeline.eri.imp.process import process_route

    pid = _root(runtime, queue="slow", priority=3)
    runtime_cache.clear()
    with django_assert_num_queries(1):
        assert process_route(pid) == ("slow", 3)
        assert process_route(str(pid)) == ("slow", 3)
    assert process_route(pid + 1000) is None
    assert process_route("not a number") is None
