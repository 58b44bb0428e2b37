"""The graph view's JSON (pipeline.eri.operations.graph, served by pipeline.contrib.engine_admin) on runs
of the Django runtime: structure and layout, states with their marks, the flows taken, subprocess nesting,
the side panel, and who is refused."""

import json

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client, override_settings

from bamboo_engine import api
from bamboo_engine.builder import (
    Data,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    NodeOutput,
    RetryPolicy,
    Var,
    build_tree,
)
from pipeline.eri.models import LogEntry
from pipeline.eri.operations import graph
from tests.contract.harness import assert_ok
from tests.contract.trees import (
    activity,
    all_node_ids,
    flow_between,
    linear_tree,
    normal_pipeline,
    subprocess,
)

pytestmark = pytest.mark.urls("tests.admin.urls")

GRAPH = "/engine_admin/graph/"


def deny(request, **kwargs):
    return False


def _client(*codenames, is_staff=True):
    user = User.objects.create_user("graph-viewer", is_staff=is_staff)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="eri", codename__in=codenames)
    )
    client = Client()
    client.force_login(user)
    return client


def _data(response):
    assert response.status_code == 200, response.content
    body = json.loads(response.content)
    assert body["result"] is True
    return body["data"]


def test_a_finished_run_with_a_subprocess_and_gateways(harness):
    tree, ids = normal_pipeline()
    root_id = harness.run_to_end(tree)

    data = graph.pipeline_graph(root_id)

    assert data["root_id"] == root_id and data["live"]["state"] == "FINISHED" and data["live"]["settled"]
    assert set(data["nodes"]) == set(all_node_ids(tree)) and data["node_count"] == len(all_node_ids(tree))
    # Nesting: the subprocess node opens its own pipeline, whose nodes name it as theirs.
    sub_id = ids["sub"]
    assert set(data["pipelines"]) == {root_id, sub_id}
    assert data["nodes"][sub_id]["children"] == sub_id and data["nodes"][sub_id]["pipeline"] == root_id
    assert {ids["sub_act_1"], ids["sub_act_2"]} <= set(data["pipelines"][sub_id]["nodes"])
    assert data["nodes"][ids["sub_act_1"]]["pipeline"] == sub_id
    assert data["nodes"][ids["act_1"]]["code"] == "debug_node"
    # Layout: every flow goes right; the parallel branches share a column on distinct rows.
    for pipeline in data["pipelines"].values():
        for flow in pipeline["flows"]:
            source, target = data["nodes"][flow["source"]], data["nodes"][flow["target"]]
            assert target["rank"] > source["rank"] and target["pipeline"] == source["pipeline"]
    branches = [data["nodes"][ids[name]] for name in ("act_3", "act_4", "act_5")]
    assert len({b["rank"] for b in branches}) == 1 and len({b["row"] for b in branches}) == 3
    # States: the exclusive gateway went to act_6; act_7 was never reached.
    states = data["live"]["nodes"]
    assert ids["act_7"] not in states
    assert {states[node_id]["state"] for node_id in states} == {"FINISHED"}
    taken = set(data["live"]["taken"])
    assert flow_between(tree, ids["eg"], ids["act_6"]) in taken
    assert flow_between(tree, ids["eg"], ids["act_7"]) not in taken
    assert flow_between(tree, ids["act_6"], ids["cg_2"]) in taken
    assert flow_between(tree, ids["sub_act_1"], ids["sub_act_2"]) in taken
    assert {flow_between(tree, ids["pg"], ids[name]) for name in ("act_3", "act_4", "act_5")} <= taken


def test_a_failed_node_then_its_retry_and_a_skip_are_marked(harness):
    first, second = activity("fail_node", name="first"), activity("fail_node", name="second")
    tree = linear_tree(first, second)
    root_id = harness.start(tree)
    harness.run_until_idle()

    failed = graph.run_states(root_id)
    assert failed["state"] == "RUNNING" and not failed["settled"]
    assert failed["nodes"][first.id] == {"state": "FAILED"}
    assert second.id not in failed["nodes"]
    assert flow_between(tree, first.id, second.id) not in failed["taken"]  # nothing leaves a FAILED node
    assert flow_between(tree, tree["start_event"]["id"], first.id) in failed["taken"]
    assert graph.node_panel(root_id, first.id)["ex_data"]
    not_reached = graph.node_panel(root_id, second.id)
    assert not_reached["state"] is None and not_reached["data_source"] == "configured"
    assert not_reached["outputs"] is None and not_reached["histories"] == [] and not_reached["logs"] == []

    assert_ok(api.retry_node(harness.runtime, first.id, data={"should_fail": False}))
    harness.run_until_idle()
    assert_ok(api.skip_node(harness.runtime, second.id))
    harness.run_until_idle()

    done = graph.run_states(root_id)
    assert done["state"] == "FINISHED" and done["settled"]
    assert flow_between(tree, first.id, second.id) in done["taken"]
    assert done["nodes"][first.id] == {"state": "FINISHED", "retry": 1}
    assert done["nodes"][second.id] == {"state": "FINISHED", "skip": True}
    panel = graph.node_panel(root_id, first.id)
    assert panel["state"]["retry"] == 1 and panel["state"]["duration_s"] is not None
    assert [h["retry"] for h in panel["histories"]] == [0]
    assert panel["histories"][0]["ex_data"] and panel["ex_data"] == ""
    assert panel["inputs"]["should_fail"] is False


def test_flow_taken_rules():
    finished, running = {"state": "FINISHED"}, {"state": "RUNNING"}
    assert graph.flow_taken(finished, None, fan_out=1, back=False)  # one way out: it was taken
    assert not graph.flow_taken(finished, None, fan_out=2, back=False)  # a gateway: the target says
    assert graph.flow_taken(finished, running, fan_out=2, back=False)
    assert not graph.flow_taken(running, running, fan_out=1, back=False)
    assert not graph.flow_taken(None, None, fan_out=1, back=False)
    assert not graph.flow_taken(finished, {"state": "FINISHED"}, fan_out=2, back=True)  # reached once
    assert graph.flow_taken(finished, {"state": "FINISHED", "loop": 2}, fan_out=2, back=True)


def test_a_loop_back_flow_is_taken_once_its_target_ran_again(harness):
    body, start, end = activity("empty_node", name="again"), EmptyStartEvent(), EmptyEndEvent()
    eg = ExclusiveGateway(conditions={0: "${body_loop} < 2", 1: "${body_loop} >= 2"}, name="again?")
    start.extend(body).extend(eg).connect(body, end)
    data = Data()
    data.inputs["${body_loop}"] = NodeOutput(source_act=body.id, source_key="_loop", type=Var.PLAIN)
    root_id = harness.run_to_end(build_tree(start, data=data), cycle_tolerate=True)

    data = graph.pipeline_graph(root_id)

    flows = {(f["source"], f["target"]): f for f in data["pipelines"][root_id]["flows"]}
    back, exit_flow = flows[(eg.id, body.id)], flows[(eg.id, end.id)]
    assert back.get("back") is True and not exit_flow.get("back")
    assert data["nodes"][end.id]["rank"] > data["nodes"][eg.id]["rank"] > data["nodes"][body.id]["rank"]
    assert data["live"]["nodes"][body.id]["loop"] == 2
    assert {back["id"], exit_flow["id"]} <= set(data["live"]["taken"])


def test_the_side_panel_shows_inputs_outputs_logs_and_refuses_a_node_of_another_run(harness):
    act = activity("debug_node", name="work")
    root_id = harness.run_to_end(linear_tree(subprocess(act)))
    other_id = harness.run_to_end(linear_tree(activity("debug_node")))
    LogEntry.objects.create(node_id=act.id, logger_name="component", level_name="INFO", message="hello")

    panel = graph.node_panel(root_id, act.id)

    assert panel["name"] == "work" and panel["code"] == "debug_node" and panel["state"]["name"] == "FINISHED"
    assert panel["data_source"] == "execution" and isinstance(panel["outputs"], dict)
    assert [log["message"] for log in panel["logs"]] == ["hello"] and panel["logs_truncated"] is False
    assert graph.node_panel(other_id, act.id) is None
    assert graph.pipeline_graph("p" + "0" * 32) is None and graph.run_states("p" + "0" * 32) is None


def test_the_endpoints_answer_a_viewer(harness):
    act = activity("debug_node", name="work")
    root_id = harness.run_to_end(linear_tree(act))
    client = _client("view_state")

    page = client.get(f"{GRAPH}{root_id}/")
    data = _data(client.get(f"{GRAPH}{root_id}/data/"))
    states = _data(client.get(f"{GRAPH}{root_id}/states/"))
    panel = _data(client.get(f"{GRAPH}{root_id}/nodes/{act.id}/"))
    by_node = client.get(f"{GRAPH}{act.id}/")
    missing = client.get(f"{GRAPH}{root_id}/nodes/n{'0' * 32}/")

    assert page.status_code == 200 and b"engine_admin/graph.js" in page.content
    assert data["nodes"][act.id]["name"] == "work" and states == data["live"]
    assert panel["node_id"] == act.id
    assert by_node.status_code == 302 and by_node.url == f"{GRAPH}{root_id}/#{act.id}"
    assert missing.status_code == 404 and json.loads(missing.content)["result"] is False
    assert client.get(f"{GRAPH}p{'0' * 32}/").status_code == 404
    console = client.get("/engine_admin/", {"pipeline_id": root_id}).content.decode()
    assert f'href="{GRAPH}{root_id}/"' in console


@pytest.mark.parametrize("who", ["anonymous", "not staff", "staff without view_state"])
def test_the_page_and_its_json_refuse_who_may_not_open_the_console(harness, who):
    root_id = harness.run_to_end(linear_tree(activity("debug_node")))
    if who == "anonymous":
        client = Client()
    else:
        client = _client(*(["view_state"] if who == "not staff" else []), is_staff=who != "not staff")

    for suffix in ("", "data/", "states/", f"nodes/{root_id}/"):
        response = client.get(f"{GRAPH}{root_id}/{suffix}")
        assert response.status_code == 403, (who, suffix)
        if suffix:
            assert json.loads(response.content)["result"] is False


def test_an_action_permission_opens_the_graph_and_a_custom_check_decides_alone(harness):
    root_id = harness.run_to_end(linear_tree(activity("debug_node")))
    operator = _client("node_retry")

    assert operator.get(f"{GRAPH}{root_id}/states/").status_code == 200
    with override_settings(PIPELINE_ENGINE_ADMIN_API_PERMISSION="tests.django.test_graph_view.deny"):
        assert operator.get(f"{GRAPH}{root_id}/states/").status_code == 403
        assert operator.get(f"{GRAPH}{root_id}/").status_code == 403


def test_the_admin_links_a_pipeline_state_to_its_graph(harness):
    act = activity("debug_node")
    root_id = harness.run_to_end(linear_tree(act))
    admin = User.objects.create_superuser("graph-admin", password=None)
    client = Client()
    client.force_login(admin)

    from pipeline.eri.models import State

    root_pk = State.objects.get(node_id=root_id).pk
    node_pk = State.objects.get(node_id=act.id).pk
    root_page = client.get(f"/admin/eri/state/{root_pk}/change/").content.decode()
    node_page = client.get(f"/admin/eri/state/{node_pk}/change/").content.decode()
    changelist = client.get("/admin/eri/state/", {"q": root_id}).content.decode()

    assert f'href="{GRAPH}{root_id}/"' in root_page
    assert f'href="{GRAPH}{root_id}/#{act.id}"' in node_page
    assert f'href="{GRAPH}{root_id}/"' in changelist


def test_the_side_panel_shows_the_attempt_of_a_retry_policy(harness):
    act = activity("flaky_node", succeed_at=3)
    act.retry_policy = RetryPolicy(max_attempts=3, interval_seconds=2)
    tree = linear_tree(act)
    root_id = harness.start(tree)
    harness.wait_for_state(act.id, "FAILED")

    waiting = graph.node_panel(root_id, act.id)
    assert waiting["attempt"] == "attempt 1 of 3, attempt 2 due 2 s after the failure"
    harness.wait_for_state(root_id, "FINISHED")
    assert graph.node_panel(root_id, act.id)["attempt"] == "attempt 3 of 3"
    assert graph.node_panel(root_id, tree["start_event"]["id"])["attempt"] == ""  # no policy
