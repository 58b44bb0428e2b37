"""Hooks and signals as upstream emits them, recorded by the project's receivers and hooked plugin.

* ``pipeline_event`` is sent for every runtime hook, ``pre/post_execute`` and ``pre/post_schedule``
  included, once per service ``execute``/``schedule`` call (post only on success), with upstream's
  sender ``pipeline.eri.imp.hooks.HooksMixin``;
* service hooks that take callback data (``pre_callback``, ``post_callback``, ``node_schedule_fail``, ...)
  receive the ERI ``CallbackData`` object as keyword ``callback_data``;
* ``node_finish`` runs after a schedule finished by a callback (a deliberate difference: upstream passes
  it callback data it cannot accept and skips it);
* hooks run by ``api.callback`` see the service's runtime attributes (``self.id``, ``self.version``,
  ``self.root_pipeline_id``, ...), as upstream sets them before dispatching.

API hooks (``pre/post_callback``) run in the process calling ``api.callback`` (this one), the others in
the worker: sequences are compared per process.
"""

import os

import pytest

from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
from tests.compat.harness import (
    callback,
    ok,
    records,
    run,
    version_of,
    wait_finished,
    wait_schedule_waiting,
    wait_states,
)
from tests.integration.env import wait_until

pytestmark = pytest.mark.integration

HOOKS_SENDER = "pipeline.eri.imp.hooks.HooksMixin"


def callback_data_type() -> str:
    from compat_plugins.recorders import qualified_name

    from bamboo_engine.eri import CallbackData

    return qualified_name(CallbackData)


def run_hooked(worker, callback_data: dict):
    start, end = EmptyStartEvent(), EmptyEndEvent()
    act = ServiceActivity(component_code="compat_hooked")
    start.extend(act).extend(end)
    root_id = run(build_tree(start))
    wait_schedule_waiting(act.id, worker)
    ok(callback(act.id, callback_data, version_of(act.id)))
    return root_id, act.id


def names(rows, process_id):
    return [row.name for row in rows if row.process_id == process_id]


def test_pipeline_event_is_sent_for_every_runtime_hook_of_a_callback_node(worker):
    root_id, node_id = run_hooked(worker, {"ok": True})
    wait_finished(root_id, worker)

    events = records([node_id], source="pipeline_event")

    assert names(events, worker.pid) == [
        "node_enter",
        "pre_execute",
        "post_execute",
        "pre_schedule",
        "post_schedule",
        "node_finish",
    ]
    assert names(events, os.getpid()) == ["pre_callback", "post_callback"]
    assert {row.sender for row in events} == {HOOKS_SENDER}


def test_service_hooks_get_the_callback_data_object_and_node_finish_runs(worker):
    root_id, node_id = run_hooked(worker, {"ok": True})
    wait_finished(root_id, worker)

    hooks = records([node_id], source="service_hook")

    assert names(hooks, worker.pid) == [
        "node_enter",
        "pre_execute",
        "post_execute",
        "pre_schedule",
        "post_schedule",
        "node_finish",
    ]
    api_side = [row for row in hooks if row.process_id == os.getpid()]
    assert [row.name for row in api_side] == ["pre_callback", "post_callback"]
    for row in api_side:
        assert row.details()["callback_data_type"] == callback_data_type()
        assert row.details()["callback_data"] == {"ok": True}
    (pre_schedule_signal,) = records([node_id], source="pre_service_schedule")
    assert pre_schedule_signal.details()["callback_data_type"] == callback_data_type()


def test_failed_schedule_runs_node_schedule_fail_with_callback_data_and_no_post_schedule(worker):
    root_id, node_id = run_hooked(worker, {"ok": False})
    wait_states({node_id: "FAILED"}, root_id, worker)
    # The hook may run right after the state write: give it the time to land.
    wait_until(lambda: records([node_id], source="service_hook")[-1].name == "node_schedule_fail", 10, "hook")

    events = names(records([node_id], source="pipeline_event"), worker.pid)
    hooks = [row for row in records([node_id], source="service_hook") if row.process_id == worker.pid]

    assert events == ["node_enter", "pre_execute", "post_execute", "pre_schedule", "node_schedule_fail"]
    assert [row.name for row in hooks][-2:] == ["pre_schedule", "node_schedule_fail"]
    assert hooks[-1].details()["callback_data_type"] == callback_data_type()
    assert hooks[-1].details()["callback_data"] == {"ok": False}


def test_hooks_run_by_the_api_see_the_runtime_attributes(worker):
    root_id, node_id = run_hooked(worker, {"ok": True})
    version = version_of(node_id)
    wait_finished(root_id, worker)

    api_side = [row for row in records([node_id], source="service_hook") if row.process_id == os.getpid()]

    assert [row.name for row in api_side] == ["pre_callback", "post_callback"]
    for row in api_side:
        details = row.details()
        assert (details["root_pipeline_id"], details["version"], details["loop"]) == (root_id, version, 1)
