"""The engine_admin console page and the refusals of its JSON API (the actions themselves run against a
real worker in tests/integration/test_engine_admin_e2e.py)."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client, override_settings

from pipeline.eri.models import OperatorAction, State
from tests.admin.pipelines import FAILED_EX_DATA, create_failed_pipeline, create_finished_pipeline
from tests.admin.users import create_user

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("tests.admin.urls"),
    pytest.mark.usefixtures("admin_apps_installed"),
]

CONSOLE = "/engine_admin/"
CALLS = []


def allow_and_record(request, **kwargs):
    """A PIPELINE_ENGINE_ADMIN_API_PERMISSION function: allows everything, records its arguments."""
    CALLS.append(kwargs)
    return True


def deny(request, **kwargs):
    return False


class StaffOnlyPermission:
    """A permission class in the style of Django REST framework."""

    def has_permission(self, request, view):
        return bool(request.user.is_authenticated and request.user.is_staff)


def _api(action: str, target: str, engine: str = "bamboo_engine") -> str:
    return f"{CONSOLE}api/v1/{engine}/{action}/{target}/"


def _post(client, url: str, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def _login(client, *codenames: str, is_staff: bool = True):
    user = create_user("operator", is_staff=is_staff, view_eri=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="eri", codename__in=codenames)
    )
    client.force_login(user)
    return client


# ---- the page ------------------------------------------------------------------------------------


def test_the_page_refuses_anonymous_and_non_staff_users(client):
    anonymous = client.get(CONSOLE)
    assert anonymous.status_code == 403 and b"/admin/login/" in anonymous.content
    _login(client, is_staff=False)
    assert client.get(CONSOLE).status_code == 403


def test_recent_pipelines_are_listed_and_filtered_by_state(client):
    failed, finished = create_failed_pipeline(), create_finished_pipeline()
    _login(client)

    everything = client.get(CONSOLE).content.decode()
    running = client.get(CONSOLE, {"state": "RUNNING"}).content.decode()

    assert failed.root_id in everything and finished.root_id in everything
    assert failed.root_id in running and finished.root_id not in running


def test_a_pipeline_shows_its_node_tree_error_processes_and_the_actions_of_each_node(client):
    failed = create_failed_pipeline()
    _login(client, "node_retry", "task_pause")

    response = client.get(CONSOLE, {"pipeline_id": failed.root_id})
    html = response.content.decode()

    assert response.status_code == 200
    rows = [row for row in response.context["node_rows"]]
    assert [(row["node"].node_id, row["node"].state) for row in rows] == [
        (failed.start_id, "FINISHED"),
        (failed.act_id, "FAILED"),
        (failed.end_id, None),
    ]
    assert [(b.name, b.allowed) for b in rows[1]["buttons"]] == [("node_retry", True), ("node_skip", False)]
    assert [(b.name, b.allowed) for b in response.context["pipeline_buttons"]] == [
        ("task_pause", True),
        ("task_revoke", False),
    ]
    assert f'id="node-{failed.act_id}"' in html and "compute" in html
    assert "ZeroDivisionError: division by zero" in html and FAILED_EX_DATA.splitlines()[1] in html
    assert f'id="process-{failed.process_id}"' in html
    assert 'name="inputs"' in html  # the retry inputs editor


def test_searching_a_node_id_opens_its_pipeline_at_the_node_and_an_unknown_id_is_404(client):
    failed = create_failed_pipeline()
    _login(client)

    response = client.get(CONSOLE, {"pipeline_id": failed.act_id})
    missing = client.get(CONSOLE, {"pipeline_id": "p" + "0" * 32})

    assert response.status_code == 302
    assert response.url == f"{CONSOLE}?pipeline_id={failed.root_id}#node-{failed.act_id}"
    assert missing.status_code == 404 and b"Nothing found" in missing.content


# ---- the API's answers -----------------------------------------------------------------------------


def test_an_allowed_action_answers_the_json_of_the_result_and_is_audited(client):
    failed = create_failed_pipeline()
    _login(client, "task_pause")

    response = _post(client, _api("task_pause", failed.root_id))

    assert (response.status_code, response.json()) == (
        200,
        {"result": True, "message": "success", "data": None},
    )
    assert State.objects.get(node_id=failed.root_id).name == "SUSPENDED"
    record = OperatorAction.objects.get()
    assert (record.source, record.operator, record.succeeded) == ("console", "operator", True)


@pytest.mark.parametrize(
    ("is_staff", "codenames"),
    [(False, ("task_pause",)), (True, ("task_revoke",))],
    ids=["not staff", "without the permission"],
)
def test_a_user_who_may_not_act_gets_403_json(client, is_staff, codenames):
    failed = create_failed_pipeline()
    _login(client, *codenames, is_staff=is_staff)

    response = _post(client, _api("task_pause", failed.root_id))

    assert response.status_code == 403
    assert response.json()["result"] is False and response.json()["data"] is None
    assert State.objects.get(node_id=failed.root_id).name == "RUNNING"
    assert not OperatorAction.objects.exists()


def test_csrf_is_enforced_with_a_json_refusal():
    failed = create_failed_pipeline()
    client = _login(Client(enforce_csrf_checks=True), "task_pause")

    refused = _post(client, _api("task_pause", failed.root_id))
    page = client.get(CONSOLE)  # sets the CSRF cookie, as a browser opening the console would
    token = page.cookies["csrftoken"].value
    accepted = client.post(
        _api("task_pause", failed.root_id), "{}", content_type="application/json", HTTP_X_CSRFTOKEN=token
    )

    assert refused.status_code == 403
    assert refused.json()["message"].startswith("CSRF verification failed")
    assert accepted.status_code == 200 and accepted.json()["result"] is True


def test_malformed_requests_get_4xx_json(client):
    failed = create_failed_pipeline()
    _login(client, "task_pause", "node_retry")

    get = client.get(_api("task_pause", failed.root_id))
    legacy = _post(client, _api("task_pause", failed.root_id, engine="pipeline_engine"))
    not_json = client.post(_api("node_retry", failed.act_id), "{oops", content_type="application/json")
    not_object = _post(client, _api("node_retry", failed.act_id), ["inputs"])

    assert (get.status_code, get["Allow"]) == (405, "POST")
    assert legacy.status_code == 400 and "pipeline_engine" in legacy.json()["message"]
    assert not_json.status_code == 400 and not_object.status_code == 400
    for response in (get, legacy, not_json, not_object):
        assert set(response.json()) == {"result", "message", "data"}
        assert response.json()["result"] is False
    assert State.objects.get(node_id=failed.root_id).name == "RUNNING"


def test_the_permission_setting_decides_alone_when_set(client):
    failed = create_failed_pipeline()
    CALLS.clear()
    path = f"{__name__}.allow_and_record"
    with override_settings(PIPELINE_ENGINE_ADMIN_API_PERMISSION=path):
        page = client.get(CONSOLE)  # anonymous, yet allowed by the function
        response = _post(client, _api("task_pause", failed.root_id))
    with override_settings(PIPELINE_ENGINE_ADMIN_API_PERMISSION=f"{__name__}.deny"):
        _login(client, "task_resume")  # the default rule would allow this user
        denied = _post(client, _api("task_resume", failed.root_id))

    assert page.status_code == 200
    assert response.json()["result"] is True
    assert CALLS[-1] == {"engine_type": "bamboo_engine", "instance_id": failed.root_id}
    assert OperatorAction.objects.get(action="task_pause").operator == "anonymous"
    assert denied.status_code == 403
    assert State.objects.get(node_id=failed.root_id).name == "SUSPENDED"


def test_a_permission_class_or_a_broken_path_in_the_setting(client):
    failed = create_failed_pipeline()
    with override_settings(PIPELINE_ENGINE_ADMIN_API_PERMISSION=f"{__name__}.StaffOnlyPermission"):
        anonymous = _post(client, _api("task_pause", failed.root_id))
        _login(client)  # staff, without any eri action permission: the class decides
        staff = _post(client, _api("task_pause", failed.root_id))
    with override_settings(PIPELINE_ENGINE_ADMIN_API_PERMISSION="no.such.module.check"):
        broken = _post(client, _api("task_resume", failed.root_id))

    assert anonymous.status_code == 403
    assert staff.status_code == 200 and staff.json()["result"] is True
    assert broken.status_code == 403 and "cannot be imported" in broken.json()["message"]
