"""``pipeline.eri.cache``: what the Django runtime keeps between reads, and what it must read again.

Nodes that can change after prepare are never kept: loop-enabled nodes, and service activities while
``PIPELINE_ENABLE_ROLLBACK`` is on (a reserved rollback writes ``reserve_rollback`` into ``Node.detail``
from another process). Writes through the runtime and ``runtime_cache.clear()`` forget what they touch.
"""

import json

from django.test import override_settings

from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
from bamboo_engine.validator import validate_and_process_pipeline
from pipeline.eri import models
from pipeline.eri.cache import MessageMemo, runtime_cache
from tests.django.querycount import capture_queries


def _prepared(runtime, loop_times=None):
    """A stored run ``start → act → other → end``; returns (root id, act, other)."""
    start, act, other, end = (
        EmptyStartEvent(),
        ServiceActivity(component_code="empty_node"),
        ServiceActivity(component_code="empty_node"),
        EmptyEndEvent(),
    )
    start.extend(act).extend(other).extend(end)
    tree = build_tree(start)
    if loop_times is not None:
        tree["activities"][act.id]["loop_config"] = {"enable": True, "loop_times": loop_times}
    validate_and_process_pipeline(tree)
    runtime.prepare_run_pipeline(tree, {}, {}, {})
    return tree["id"], act.id, other.id


def _reserve_rollback(node_id):
    """What the rollback app does: the stored detail changes outside the runtime."""
    row = models.Node.objects.get(node_id=node_id)
    detail = json.loads(row.detail)
    detail["reserve_rollback"] = True
    models.Node.objects.filter(node_id=node_id).update(detail=json.dumps(detail))


def test_the_first_node_read_of_a_run_keeps_the_others(runtime):
    _, act, other = _prepared(runtime)
    with capture_queries() as first:
        runtime.get_node(act)
    with capture_queries() as then:
        assert runtime.get_node(other).id == other
        assert runtime.get_node(act).id == act
    assert len(first) == 1 and len(then) == 0


def test_a_loop_node_is_read_again_and_sees_new_loop_times(runtime):
    _, act, _ = _prepared(runtime, loop_times=2)
    assert runtime.get_node(act).loop_times == 2
    stored = json.loads(models.Node.objects.get(node_id=act).detail)
    stored["loop_config"]["loop_times"] = 7  # another worker's update_node_loop_times
    models.Node.objects.filter(node_id=act).update(detail=json.dumps(stored))

    with capture_queries() as log:
        assert runtime.get_node(act).loop_times == 7
    assert len(log) >= 1


def test_with_rollback_on_an_activity_is_read_again_and_a_reservation_is_seen(runtime):
    with override_settings(PIPELINE_ENABLE_ROLLBACK=True):
        _, act, other = _prepared(runtime)
        assert runtime.get_node(act).reserve_rollback is False
        _reserve_rollback(act)
        assert runtime.get_node(act).reserve_rollback is True
        with capture_queries() as log:
            runtime.get_node(other)
        assert len(log) >= 1


def test_turning_rollback_on_forgets_the_kept_activities(runtime):
    _, act, _ = _prepared(runtime)
    assert runtime.get_node(act).reserve_rollback is False  # kept: rollback is off
    with override_settings(PIPELINE_ENABLE_ROLLBACK=True):
        _reserve_rollback(act)
        assert runtime.get_node(act).reserve_rollback is True


def test_update_node_loop_times_is_seen_at_once(runtime):
    _, act, _ = _prepared(runtime, loop_times=2)
    runtime.get_node(act)
    runtime.update_node_loop_times(act, 4)
    assert runtime.get_node(act).loop_times == 4


def test_clear_forgets_routes_nodes_and_root_inputs(runtime):
    root, act, _ = _prepared(runtime)
    [process] = models.Process.objects.filter(root_pipeline_id=root)
    runtime.get_node(act)
    runtime.get_process_info(process.id)  # marks the root pipeline: its inputs are kept from now on
    runtime.get_data_inputs(root)
    assert runtime_cache.route(process.id) == ("", 100)
    assert runtime_cache.node_detail(act) is not None and runtime_cache.root_inputs(root) == {}

    runtime_cache.clear()

    assert runtime_cache.route(process.id) is None
    assert runtime_cache.node_detail(act) is None and runtime_cache.root_inputs(root) is None
    with capture_queries() as log:
        runtime.get_node(act)
    assert len(log) == 1


def test_a_message_memo_keeps_node_data_only_once_scoped(runtime):
    _, act, _ = _prepared(runtime)
    assert isinstance(runtime.memo, MessageMemo) and runtime.memo.data_rows is None
    runtime.get_data(act)
    runtime.scope_to_message()
    runtime.get_data(act)
    with capture_queries() as log:
        runtime.get_data(act)
        runtime.get_data_outputs(act)
    assert len(log) == 0
    runtime.set_data_inputs(act, {})
    assert act not in runtime.memo.data_rows


def test_a_reservation_made_through_the_api_is_seen_by_a_worker_that_read_the_node(harness, tmp_path):
    """A worker read a running activity; the rollback api reserves (then cancels) a rollback on it."""
    from pipeline.contrib.rollback import api as rollback_api
    from pipeline.eri.runtime import BambooDjangoRuntime
    from tests.contract.rollback_support import Ledger
    from tests.contract.trees import linear_tree

    ledger = Ledger(str(tmp_path / "ledger.jsonl"))
    with override_settings(PIPELINE_ENABLE_ROLLBACK=True):
        first, waiting = ledger.undo("a"), ledger.undo("w", code="undo_callback_node")
        root = harness.start(linear_tree(first, waiting))
        harness.wait_callback_ready(waiting.id)
        worker = BambooDjangoRuntime()
        assert worker.get_node(waiting.id).reserve_rollback is False
        assert runtime_cache.node_detail(waiting.id) is None  # activities are never kept with rollback on

        assert rollback_api.reserve_rollback(root, waiting.id, first.id).result
        assert worker.get_node(waiting.id).reserve_rollback is True
        assert rollback_api.cancel_reserved_rollback(root, waiting.id, first.id).result
        assert worker.get_node(waiting.id).reserve_rollback is False


def test_setting_the_reserve_flag_forgets_a_kept_node(runtime):
    _, act, _ = _prepared(runtime)
    assert runtime.get_node(act).reserve_rollback is False
    assert runtime_cache.node_detail(act) is not None  # kept: rollback is off
    runtime.set_reserve_rollback(act, True)
    assert runtime_cache.node_detail(act) is None
    assert runtime.get_node(act).reserve_rollback is True
