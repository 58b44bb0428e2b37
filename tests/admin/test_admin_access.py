"""Who may open the runtime admin, and that nobody can change runtime rows through it."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.core import checks

from tests.admin.pipelines import create_finished_pipeline
from tests.admin.users import create_user

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("tests.admin.urls"),
    pytest.mark.usefixtures("admin_apps_installed"),
]

ERI_MODELS = list(apps.get_app_config("eri").get_models())
REQUIRED_MODELS = {
    "Process",
    "Node",
    "State",
    "Schedule",
    "Data",
    "ExecutionData",
    "CallbackData",
    "ContextValue",
    "ContextOutputs",
    "ExecutionHistory",
    "LogEntry",
}


def test_every_eri_model_is_registered():
    assert REQUIRED_MODELS - {model.__name__ for model in ERI_MODELS} == set()
    unregistered = [model.__name__ for model in ERI_MODELS if not admin.site.is_registered(model)]
    assert unregistered == []


def test_admin_definitions_pass_django_checks():
    errors = [msg for msg in checks.run_checks(tags=[checks.Tags.admin]) if msg.is_serious()]
    assert errors == []


@pytest.mark.parametrize("model", ERI_MODELS, ids=lambda model: model.__name__)
def test_admin_grants_no_write_permission_even_to_superusers(model, rf):
    request = rf.get("/")
    request.user = create_user("root", is_staff=True, view_eri=True)
    request.user.is_superuser = True
    model_admin = admin.site._registry[model]
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.get_actions(request) == {}


def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/admin/eri/state/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_non_staff_user_is_sent_to_login_even_with_view_permissions(client):
    client.force_login(create_user("visitor", is_staff=False, view_eri=True))
    response = client.get("/admin/eri/state/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_staff_user_without_view_permissions_is_forbidden(client):
    rows = create_finished_pipeline()
    client.force_login(create_user("clerk", is_staff=True, view_eri=False))
    assert client.get("/admin/eri/state/").status_code == 403
    state_id = apps.get_model("eri", "State").objects.get(node_id=rows.root_id).id
    assert client.get(f"/admin/eri/state/{state_id}/change/").status_code == 403
    assert "eri/state" not in client.get("/admin/").content.decode()


def test_add_change_and_delete_are_refused_to_viewers(client):
    rows = create_finished_pipeline()
    state_model = apps.get_model("eri", "State")
    state = state_model.objects.get(node_id=rows.act_id)
    client.force_login(create_user("operator", is_staff=True, view_eri=True))

    assert client.get("/admin/eri/state/add/").status_code == 403
    assert client.post("/admin/eri/state/add/", {"node_id": "x", "name": "RUNNING"}).status_code == 403
    assert client.post(f"/admin/eri/state/{state.id}/delete/", {"post": "yes"}).status_code == 403
    client.post(f"/admin/eri/state/{state.id}/change/", {"name": "RUNNING"})
    bulk = client.post(
        "/admin/eri/state/", {"action": "delete_selected", "_selected_action": [state.id], "post": "yes"}
    )
    assert bulk.status_code in (200, 302)

    state.refresh_from_db()
    assert state.name == "FINISHED"
    assert state_model.objects.filter(root_id=rows.root_id).count() == 4
    assert not state_model.objects.filter(node_id="x").exists()
