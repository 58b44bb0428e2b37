"""A node's logs stay readable after ``forced_fail_activity`` gives it a new version.

Upstream moves the node's log rows to the new version, so ``get_plain_log_for_node(node_id)`` (the
current version's lines) still shows what the plugin logged before the operator failed it.
"""

import pytest

from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
from tests.compat.harness import ok, run, runtime, version_of, wait_schedule_waiting, wait_states
from tests.integration.env import wait_until

pytestmark = pytest.mark.integration

LOGGED = "waits for its callback"


def test_logs_stay_readable_after_forced_fail(worker):
    from bamboo_engine import api

    start, end = EmptyStartEvent(), EmptyEndEvent()
    act = ServiceActivity(component_code="compat_callback")
    start.extend(act).extend(end)
    root_id = run(build_tree(start))
    wait_schedule_waiting(act.id, worker)
    old_version = version_of(act.id)
    wait_until(lambda: LOGGED in runtime().get_plain_log_for_node(act.id), 30, "the plugin's log line")

    ok(api.forced_fail_activity(runtime(), act.id, ex_data="failed by the operator"))

    wait_states({act.id: "FAILED"}, root_id, worker)
    assert version_of(act.id) != old_version
    assert LOGGED in runtime().get_plain_log_for_node(act.id)
