"""What an operator sees in the runtime admin for a finished and for a failed pipeline."""

import json
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.utils import timezone
from django.utils.html import escape

from tests.admin.pipelines import (
    FAILED_EX_DATA,
    UNPICKLED,
    create_failed_pipeline,
    create_finished_pipeline,
)
from tests.admin.users import create_user

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("tests.admin.urls"),
    pytest.mark.usefixtures("admin_apps_installed"),
]

ERI_MODEL_NAMES = [model._meta.model_name for model in apps.get_app_config("eri").get_models()]


@pytest.fixture
def finished():
    return create_finished_pipeline()


@pytest.fixture
def failed():
    return create_failed_pipeline()


@pytest.fixture
def operator(client):
    client.force_login(create_user("operator", is_staff=True, view_eri=True))
    return client


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _pretty(fragment: dict) -> str:
    """How one key/value of a pretty-printed object appears in the page (indented, escaped)."""
    key, value = next(iter(fragment.items()))
    return escape(f"\n  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")


def _change_url(model_name: str, **lookup) -> str:
    row = apps.get_model("eri", model_name).objects.get(**lookup)
    return f"/admin/eri/{model_name}/{row.id}/change/"


def _link_targets(html: str) -> list:
    return [target.replace("&amp;", "&") for target in re.findall(r'href="(/admin/eri/[^"]*\?[^"]*)"', html)]


@pytest.mark.parametrize("model_name", ERI_MODEL_NAMES)
def test_every_changelist_and_change_view_renders_for_both_pipelines(operator, finished, failed, model_name):
    _page(operator, f"/admin/eri/{model_name}/")
    for row in apps.get_model("eri", model_name).objects.all():
        _page(operator, f"/admin/eri/{model_name}/{row.id}/change/")


def test_search_by_root_id_lists_the_states_of_that_pipeline_only(operator, finished, failed):
    html = _page(operator, f"/admin/eri/state/?q={finished.root_id}")
    for node_id in (finished.root_id, finished.start_id, finished.act_id, finished.end_id):
        assert node_id in html
    assert failed.act_id not in html


def test_state_filter_by_name_finds_the_failed_node(operator, finished, failed):
    html = _page(operator, "/admin/eri/state/?name=FAILED")
    assert failed.act_id in html
    assert finished.act_id not in html


def test_failed_execution_data_shows_ex_data_pretty_printed(operator, failed):
    changelist = _page(operator, f"/admin/eri/executiondata/?node_id={failed.act_id}")
    assert escape(FAILED_EX_DATA.splitlines()[0][:40]) in changelist

    html = _page(operator, _change_url("executiondata", node_id=failed.act_id))
    assert _pretty({"ex_data": FAILED_EX_DATA}) in html
    # The traceback is also shown with its real line breaks.
    assert escape(FAILED_EX_DATA) in html
    assert _pretty({"_result": False}) in html
    assert _pretty({"expr": "1 / 0"}) in html


def test_finished_pipeline_pages_show_outputs_histories_and_context(operator, finished):
    assert _pretty({"answer": 42}) in _page(operator, _change_url("executiondata", node_id=finished.act_id))

    history = _page(operator, _change_url("executionhistory", node_id=finished.act_id))
    assert _pretty({"ex_data": "first try failed"}) in history

    value = _page(operator, _change_url("contextvalue", key="${greeting}", pipeline_id=finished.root_id))
    assert _pretty({"text": "hello operator"}) in value

    node = _page(operator, _change_url("node", node_id=finished.act_id))
    assert _pretty({"type": "ServiceActivity"}) in node

    data = _page(operator, _change_url("data", node_id=finished.act_id))
    assert escape('"need_render": true') in data


def test_state_page_links_to_the_rows_of_its_node(operator, finished):
    html = _page(operator, _change_url("state", node_id=finished.act_id))
    targets = _link_targets(html)
    for model_name in (
        "executiondata",
        "executionhistory",
        "schedule",
        "callbackdata",
        "logentry",
        "node",
        "data",
    ):
        assert f"/admin/eri/{model_name}/?node_id={finished.act_id}" in targets
    # An activity is not a pipeline: no links to child states or context.
    assert f"/admin/eri/state/?parent_id={finished.act_id}" not in targets

    histories = _page(operator, f"/admin/eri/executionhistory/?node_id={finished.act_id}")
    assert "first try failed" in histories
    logs = _page(operator, f"/admin/eri/logentry/?node_id={finished.act_id}")
    assert "computed the answer" in logs


def test_root_state_links_to_processes_context_and_children(operator, finished):
    targets = _link_targets(_page(operator, _change_url("state", node_id=finished.root_id)))
    assert f"/admin/eri/process/?root_pipeline_id={finished.root_id}" in targets
    assert f"/admin/eri/contextvalue/?pipeline_id={finished.root_id}" in targets

    children = _page(operator, f"/admin/eri/state/?parent_id={finished.root_id}")
    assert finished.act_id in children
    assert finished.root_id not in re.findall(r"field-node_id[^>]*>([^<]*)<", children)


def test_time_list_filter_selects_rows_of_the_day(operator, finished):
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    day = {"logged_at__gte": str(today), "logged_at__lt": str(today + timedelta(days=1))}
    assert "computed the answer" in _page(operator, f"/admin/eri/logentry/?{urlencode(day)}")
    before = {"logged_at__lt": str(today)}
    assert "computed the answer" not in _page(operator, f"/admin/eri/logentry/?{urlencode(before)}")


def test_pickled_context_value_is_hidden_and_never_loaded(operator, failed):
    UNPICKLED.clear()
    changelist = _page(operator, f"/admin/eri/contextvalue/?pipeline_id={failed.root_id}")
    html = _page(operator, _change_url("contextvalue", key="${opaque}"))
    assert escape("<pickled value hidden>") in changelist
    assert escape("<pickled value hidden>") in html
    assert UNPICKLED == []


def test_schedules_filter_by_type_name_and_finished_flag(operator, finished, failed):
    poll = _page(operator, "/admin/eri/schedule/?type=3")
    assert finished.act_id in poll
    assert failed.act_id not in poll
    assert "POLL (3)" in poll

    unfinished = _page(operator, "/admin/eri/schedule/?finished__exact=0")
    assert failed.act_id in unfinished
    assert finished.act_id not in unfinished


def test_processes_filter_by_dead_flag(operator, finished, failed):
    alive = _page(operator, "/admin/eri/process/?dead__exact=0")
    assert failed.root_id in alive
    assert finished.root_id not in alive
