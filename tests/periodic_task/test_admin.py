"""The periodic task admin: enable/disable actions behind the change permission, and the start history."""

import pytest
from django.contrib.auth.models import Permission, User

from pipeline.contrib.periodic_task import api
from pipeline.contrib.periodic_task.models import PeriodicTask, PeriodicTaskHistory
from tests.contract import trees

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.admin.urls")]

CHANGELIST = "/admin/periodic_task/periodictask/"


def _task(name="nightly"):
    result = api.create_periodic_task(
        name=name, pipeline_tree=trees.linear_tree(trees.activity("debug_node")), cron="0 3 * * *"
    )
    assert result.result, result.exc_trace
    return PeriodicTask.objects.select_related("celery_task").get(id=result.data)


def _staff(*codenames):
    user = User.objects.create_user(username="operator", password=None, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="periodic_task", codename__in=codenames)
    )
    return user


def _enabled(task):
    task.celery_task.refresh_from_db()
    return task.celery_task.enabled


def test_disable_then_enable_from_the_changelist(client):
    task, other = _task(), _task("other")
    client.force_login(_staff("view_periodictask", "change_periodictask"))

    response = client.post(
        CHANGELIST, {"action": "disable_tasks", "_selected_action": [task.id]}, follow=True
    )
    assert response.status_code == 200
    assert not _enabled(task) and _enabled(other)
    assert "1 periodic task(s) disabled" in response.content.decode()

    client.post(CHANGELIST, {"action": "enable_tasks", "_selected_action": [task.id]})
    assert _enabled(task)


def test_the_actions_need_the_change_permission(client):
    task = _task()
    client.force_login(_staff("view_periodictask"))
    page = client.get(CHANGELIST).content.decode()
    assert "disable_tasks" not in page
    client.post(CHANGELIST, {"action": "disable_tasks", "_selected_action": [task.id]})
    assert _enabled(task)


def test_the_task_page_shows_its_latest_starts(client):
    task = _task()
    started = PeriodicTaskHistory.objects.record_schedule(task, "p" + "1" * 32, "")
    failed = PeriodicTaskHistory.objects.record_schedule(task, "", "Traceback: boom", start_success=False)
    client.force_login(User.objects.create_superuser("admin", password=None))

    page = client.get(f"{CHANGELIST}{task.id}/change/").content.decode()
    assert "p" + "1" * 32 in page and "Traceback: boom" in page
    history_list = client.get(
        "/admin/periodic_task/periodictaskhistory/?start_success__exact=0"
    ).content.decode()
    assert f"/periodictaskhistory/{failed.id}/change/" in history_list
    assert f"/periodictaskhistory/{started.id}/change/" not in history_list
    assert client.get(f"{CHANGELIST}add/").status_code == 403
