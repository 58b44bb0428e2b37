"""The admin State page and the engine_admin console show "attempt k of n" of a retry_policy."""

import json

import pytest

from pipeline.eri import models
from pipeline.eri.operations.catalog import NODE_FORCED_FAIL, NODE_RETRY, NODE_SKIP
from tests.admin.pipelines import create_failed_pipeline, create_finished_pipeline
from tests.admin.users import create_user

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("tests.admin.urls"),
    pytest.mark.usefixtures("admin_apps_installed"),
]

WAITING = "attempt 2 of 3, attempt 3 due 4 s after the failure"


def give_policy(node_id: str, inputs: dict, outputs: dict) -> None:
    node = models.Node.objects.get(node_id=node_id)
    detail = json.loads(node.detail)
    detail["retry_policy"] = {"max_attempts": 3, "interval_seconds": 2, "backoff_coefficient": 2.0}
    node.detail = json.dumps(detail)
    node.save()
    models.ExecutionData.objects.filter(node_id=node_id).update(
        inputs=json.dumps(inputs), outputs=json.dumps(outputs)
    )


@pytest.fixture
def waiting():
    """A FAILED activity at attempt 2 of 3 whose automatic retry is pending."""
    rows = create_failed_pipeline()
    pending = {"attempt": 2, "max_attempts": 3, "next_attempt": 3, "delay_seconds": 4.0}
    give_policy(rows.act_id, {"_attempt": 2}, {"ex_data": "boom", "_retry_pending": pending})
    return rows


def test_the_state_page_shows_the_attempt_and_the_pending_retry(client, waiting):
    client.force_login(create_user("operator", is_staff=True, view_eri=True))
    state = models.State.objects.get(node_id=waiting.act_id)
    html = client.get(f"/admin/eri/state/{state.id}/change/").content.decode()
    assert WAITING in html

    finished = create_finished_pipeline()
    give_policy(finished.act_id, {"_attempt": 1}, {"_result": True})
    state = models.State.objects.get(node_id=finished.act_id)
    html = client.get(f"/admin/eri/state/{state.id}/change/").content.decode()
    assert "attempt 1 of 3" in html and "due" not in html.split("attempt 1 of 3")[1][:30]

    start = models.State.objects.get(node_id=finished.start_id)  # no policy
    html = client.get(f"/admin/eri/state/{start.id}/change/").content.decode()
    assert "attempt 1 of" not in html


def test_the_console_shows_the_attempt_of_the_node(client, waiting):
    client.force_login(create_user("operator", is_staff=True, view_eri=True))
    response = client.get("/engine_admin/", {"pipeline_id": waiting.root_id})
    assert response.status_code == 200
    nodes = {row["node"].node_id: row["node"] for row in response.context["node_rows"]}
    assert nodes[waiting.act_id].attempt == WAITING
    assert nodes[waiting.start_id].attempt == ""
    # a forced fail cancels the pending retry, so it is offered on the FAILED node
    assert nodes[waiting.act_id].actions == [NODE_RETRY, NODE_SKIP, NODE_FORCED_FAIL]
    assert WAITING in response.content.decode()
