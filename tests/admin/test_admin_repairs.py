"""Repairs from the admin: forms on the pages of a pipeline, a node and a process, each behind its own
permission, each applied through the operator actions layer and recorded as an ``OperatorAction``."""

import json
import re

import pytest
from django.contrib.auth.models import Permission
from django.utils.html import escape

from pipeline.eri.models import OperatorAction, State
from tests.admin.pipelines import create_failed_pipeline, create_finished_pipeline
from tests.admin.users import create_user

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("tests.admin.urls"),
    pytest.mark.usefixtures("admin_apps_installed"),
]


def _operator(client, *codenames: str):
    user = create_user("operator", is_staff=True, view_eri=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="eri", codename__in=codenames)
    )
    client.force_login(user)
    return client


def _state_url(node_id: str, suffix: str = "change/") -> str:
    return f"/admin/eri/state/{State.objects.get(node_id=node_id).id}/{suffix}"


def _repair_forms(html: str) -> list:
    return re.findall(r'action="\.\./repair/([a-z_]+)/"', html)


def _messages(response) -> list:
    return [str(message) for message in response.context["messages"]]


def test_the_pipeline_page_offers_the_repairs_the_user_is_allowed(client):
    failed = create_failed_pipeline()
    _operator(client, "task_pause")

    html = client.get(_state_url(failed.root_id)).content.decode()

    assert _repair_forms(html) == ["task_pause"]
    assert "1 more action apply here" in html  # revoke: applies, but not granted


def test_the_node_page_of_a_failed_activity_offers_retry_with_its_inputs_and_skip(client):
    failed = create_failed_pipeline()
    _operator(client, "node_retry", "node_skip", "task_pause")

    html = client.get(_state_url(failed.act_id)).content.decode()

    assert _repair_forms(html) == ["node_retry", "node_skip"]
    assert escape(json.dumps({"expr": "${greeting}"}, indent=2)) in html


def test_a_process_of_a_running_pipeline_can_be_re_dispatched_and_a_finished_one_cannot(client):
    failed, finished = create_failed_pipeline(), create_finished_pipeline()
    _operator(client, "process_redispatch")

    running_page = client.get(f"/admin/eri/process/{failed.process_id}/change/").content.decode()
    finished_page = client.get(f"/admin/eri/process/{finished.process_id}/change/").content.decode()

    assert _repair_forms(running_page) == ["process_redispatch"]
    assert _repair_forms(finished_page) == []


def test_pausing_from_the_admin_applies_it_records_it_and_says_so(client):
    failed = create_failed_pipeline()
    _operator(client, "task_pause")

    response = client.post(_state_url(failed.root_id, "repair/task_pause/"), follow=True)

    assert State.objects.get(node_id=failed.root_id).name == "SUSPENDED"
    assert _messages(response) == [f"Pause {failed.root_id}: success"]
    record = OperatorAction.objects.get()
    assert (record.action, record.operator, record.source, record.succeeded) == (
        "task_pause",
        "operator",
        "admin",
        True,
    )
    assert record.root_pipeline_id == failed.root_id


def test_a_refused_repair_is_shown_as_an_error_and_recorded_as_failed(client):
    finished = create_finished_pipeline()
    _operator(client, "task_revoke")

    response = client.post(_state_url(finished.root_id, "repair/task_revoke/"), follow=True)

    assert State.objects.get(node_id=finished.root_id).name == "FINISHED"
    [message] = _messages(response)
    assert message.startswith(f"Revoke {finished.root_id}: ") and "FINISHED" in message
    assert OperatorAction.objects.get().succeeded is False


def test_a_repair_without_its_permission_is_forbidden_and_not_applied(client):
    failed = create_failed_pipeline()
    _operator(client, "node_skip")  # skip, not pause

    response = client.post(_state_url(failed.root_id, "repair/task_pause/"))

    assert response.status_code == 403
    assert State.objects.get(node_id=failed.root_id).name == "RUNNING"
    assert not OperatorAction.objects.exists()


def test_a_repair_that_does_not_apply_to_the_page_is_404_and_a_get_is_405(client):
    failed = create_failed_pipeline()
    _operator(client, "task_pause", "node_skip")

    assert client.post(_state_url(failed.act_id, "repair/task_pause/")).status_code == 404
    assert client.post(_state_url(failed.root_id, "repair/node_skip/")).status_code == 404
    assert client.get(_state_url(failed.root_id, "repair/task_pause/")).status_code == 405
    assert not OperatorAction.objects.exists()


def test_invalid_json_inputs_are_refused_before_anything_is_applied(client):
    failed = create_failed_pipeline()
    _operator(client, "node_retry")

    response = client.post(
        _state_url(failed.act_id, "repair/node_retry/"), {"inputs": "{not json"}, follow=True
    )

    [message] = _messages(response)
    assert message.startswith("Retry: inputs is not valid JSON")
    assert State.objects.get(node_id=failed.act_id).name == "FAILED"
    assert not OperatorAction.objects.exists()


def test_operator_actions_are_listed_and_searchable_by_pipeline(client):
    failed, finished = create_failed_pipeline(), create_finished_pipeline()
    _operator(client, "task_pause", "task_revoke")
    client.post(_state_url(failed.root_id, "repair/task_pause/"), follow=True)  # follow: shows the messages
    client.post(_state_url(finished.root_id, "repair/task_revoke/"), follow=True)

    html = client.get(f"/admin/eri/operatoraction/?q={failed.root_id}").content.decode()

    assert failed.root_id in html and finished.root_id not in html
    record = OperatorAction.objects.get(root_pipeline_id=failed.root_id)
    assert client.get(f"/admin/eri/operatoraction/{record.id}/change/").status_code == 200
