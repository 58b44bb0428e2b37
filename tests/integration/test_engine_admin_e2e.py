"""The engine_admin JSON API over HTTP (Django's test client) against pipelines on a real gevent worker.

Every action of the API is driven here, with the refusals an operator meets: 403 for a non-staff user,
a 4xx JSON answer for an action in the wrong state, and the CSRF check.
"""

import json
from typing import Optional

import pytest

from bamboo_engine.builder import ConditionalParallelGateway, ExclusiveGateway
from tests.contract.trees import activity, flow_between, gateway_tree, linear_tree
from tests.integration.env import wait_until
from tests.integration.helpers import runtime, start, state_name, wait_finished, wait_for_states

pytestmark = pytest.mark.integration

QUEUE = "gv"
API = "/engine_admin/api/v1/bamboo_engine"


@pytest.fixture(scope="module")
def users(it_session):
    """An operator holding every action permission, and a user who is not staff."""
    from django.contrib.auth.models import Permission, User

    from pipeline.eri.operations.catalog import ACTIONS

    operator, _ = User.objects.get_or_create(username="e2e-operator", defaults={"is_staff": True})
    codenames = [spec.name for spec in ACTIONS]
    operator.user_permissions.set(
        Permission.objects.filter(content_type__app_label="eri", codename__in=codenames)
    )
    outsider, _ = User.objects.get_or_create(username="e2e-outsider", defaults={"is_staff": False})
    outsider.user_permissions.set(operator.user_permissions.all())
    return {"operator": operator, "outsider": outsider}


@pytest.fixture
def client(users):
    from django.test import Client

    client = Client()
    client.force_login(users["operator"])
    return client


def _call(client, action: str, target: str, body: Optional[dict] = None):
    response = client.post(
        f"{API}/{action}/{target}/", json.dumps(body or {}), content_type="application/json"
    )
    payload = response.json()
    assert set(payload) == {"result", "message", "data"}, payload
    return response.status_code, payload


def _ok(client, action: str, target: str, body: Optional[dict] = None) -> None:
    status, payload = _call(client, action, target, body)
    assert (status, payload["result"]) == (200, True), payload


def _audited(action: str, target: str) -> bool:
    from pipeline.eri.models import OperatorAction

    record = OperatorAction.objects.filter(action=action, target_id=target).latest("id")
    assert (record.operator, record.source) == ("e2e-operator", "console")
    return bool(record.succeeded)


def _waiting_for_callback(node_id: str) -> bool:
    from pipeline.eri.models import Schedule

    state = runtime().get_state_or_none(node_id)
    return bool(
        state
        and state.name == "RUNNING"
        and Schedule.objects.filter(node_id=node_id, version=state.version, finished=False).exists()
    )


def _start_waiting_pipeline():
    """start → callback_node → debug_node → end, waiting at the callback node."""
    waiting, after = activity("callback_node"), activity("debug_node", note="after")
    root_id = start(linear_tree(waiting, after), queue=QUEUE)
    wait_until(lambda: _waiting_for_callback(waiting.id), 60, "the callback node to wait")
    return root_id, waiting.id, after.id


def test_pause_resume_then_callback_finish_the_pipeline(gevent_worker, client):
    root_id, waiting_id, after_id = _start_waiting_pipeline()

    _ok(client, "task_pause", root_id)
    assert state_name(root_id) == "SUSPENDED"
    status, payload = _call(client, "task_pause", root_id)  # already paused: wrong state
    assert (status, payload["result"]) == (409, False) and root_id in payload["message"]
    _ok(client, "task_resume", root_id)
    assert state_name(root_id) == "RUNNING"
    _ok(client, "node_callback", waiting_id, {"data": {"ok": True, "answer": 42}})  # version: the current one

    wait_finished([root_id])
    assert state_name(after_id) == "FINISHED"
    outputs = runtime().get_execution_data_outputs(waiting_id)
    assert outputs["callback_data"] == {"ok": True, "answer": 42}
    assert _audited("task_resume", root_id) and _audited("node_callback", waiting_id)
    assert not _audited("task_pause", root_id)  # the last pause was the refused one


def test_revoke_stops_the_pipeline_and_a_resume_after_it_is_refused(gevent_worker, client):
    root_id, waiting_id, after_id = _start_waiting_pipeline()

    _ok(client, "task_revoke", root_id)
    status, payload = _call(client, "task_resume", root_id)

    assert state_name(root_id) == "REVOKED"
    assert (status, payload["result"]) == (409, False)
    assert state_name(after_id) is None
    assert _audited("task_revoke", root_id) and not _audited("task_resume", root_id)


def test_retry_with_new_inputs_and_skip_of_failed_nodes(gevent_worker, client):
    timer, failing = activity("sleep_timer", seconds=-1), activity("fail_node", message="broken on purpose")
    root_id = start(linear_tree(timer, failing), queue=QUEUE)
    wait_for_states({timer.id: "FAILED"})

    status, payload = _call(client, "node_skip", "n" + "0" * 32)  # unknown node
    assert (status, payload["result"]) == (404, False)
    _ok(client, "node_retry", timer.id, {"inputs": {"seconds": 0}})
    wait_for_states({failing.id: "FAILED"})
    _ok(client, "node_skip", failing.id)

    wait_finished([root_id])
    timer_state, failing_state = runtime().get_state(timer.id), runtime().get_state(failing.id)
    assert (timer_state.name, timer_state.retry) == ("FINISHED", 1)
    assert (failing_state.name, failing_state.skip) == ("FINISHED", True)
    assert _audited("node_retry", timer.id) and _audited("node_skip", failing.id)


def test_forced_fail_of_a_waiting_node_then_retry_is_refused_for_a_finished_one(gevent_worker, client):
    root_id, waiting_id, _ = _start_waiting_pipeline()

    _ok(client, "node_forced_fail", waiting_id, {"ex_data": "stuck at the partner's API"})

    assert state_name(waiting_id) == "FAILED"
    assert runtime().get_execution_data_outputs(waiting_id)["ex_data"] == "stuck at the partner's API"
    assert state_name(root_id) == "RUNNING"  # waits for an operator
    finished = [state.node_id for state in runtime().get_state_by_root(root_id) if state.name == "FINISHED"]
    status, payload = _call(client, "node_retry", finished[0])  # the start event: nothing to retry
    assert (status, payload["result"]) == (409, False)


def test_skip_a_failed_exclusive_gateway_along_a_chosen_flow(gevent_worker, client):
    gateway = ExclusiveGateway(conditions={0: "1 == 0", 1: "2 == 0"})
    first, second = activity("debug_node", note="a"), activity("debug_node", note="b")
    tree, _ = gateway_tree(gateway, [first, second])
    root_id = start(tree, queue=QUEUE)
    wait_for_states({gateway.id: "FAILED"})

    status, _payload = _call(client, "node_skip_exg", gateway.id, {})  # flow_id missing
    assert status == 400
    _ok(client, "node_skip_exg", gateway.id, {"flow_id": flow_between(tree, gateway.id, second.id)})

    wait_finished([root_id])
    assert (state_name(first.id), state_name(second.id)) == (None, "FINISHED")
    assert runtime().get_state(gateway.id).skip


def test_skip_a_failed_conditional_parallel_gateway_forking_chosen_flows(gevent_worker, client):
    gateway = ConditionalParallelGateway(conditions={0: "1 == 0", 1: "2 == 0", 2: "3 == 0"})
    branches = [activity("debug_node", note=str(n)) for n in range(3)]
    tree, converge = gateway_tree(gateway, branches)
    root_id = start(tree, queue=QUEUE)
    wait_for_states({gateway.id: "FAILED"})

    chosen = [flow_between(tree, gateway.id, branch.id) for branch in branches[:2]]
    # converge_gateway_id defaults to the gateway's own converge gateway.
    _ok(client, "node_skip_cpg", gateway.id, {"flow_ids": chosen})

    wait_finished([root_id])
    assert [state_name(branch.id) for branch in branches] == ["FINISHED", "FINISHED", None]
    assert state_name(converge.id) == "FINISHED"


def test_a_non_staff_user_is_refused_with_403(gevent_worker, users):
    from django.test import Client

    root_id, waiting_id, _ = _start_waiting_pipeline()
    outsider = Client()
    outsider.force_login(users["outsider"])

    status, payload = _call(outsider, "task_revoke", root_id)

    assert (status, payload["result"]) == (403, False)
    assert state_name(root_id) == "RUNNING"


def test_a_post_without_the_csrf_token_is_refused(gevent_worker, users):
    from django.test import Client

    root_id, waiting_id, _ = _start_waiting_pipeline()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(users["operator"])

    status, payload = _call(browser, "task_pause", root_id)
    assert (status, payload["result"]) == (403, False) and "CSRF" in payload["message"]
    assert state_name(root_id) == "RUNNING"

    token = browser.get("/engine_admin/").cookies["csrftoken"].value
    response = browser.post(
        f"{API}/task_pause/{root_id}/", "{}", content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200 and state_name(root_id) == "SUSPENDED"
