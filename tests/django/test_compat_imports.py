"""Django-side names kept for projects written against upstream: they import and behave."""

from unittest import mock

import pytest
from django.test import override_settings

from bamboo_engine import api as engine_api
from bamboo_engine import exceptions as engine_exceptions
from bamboo_engine.utils.collections import FancyDict as EngineFancyDict
from pipeline import exceptions
from pipeline.conf import default_settings, settings
from pipeline.constants import PIPELINE_DEFAULT_PRIORITY, PIPELINE_MAX_PRIORITY, PIPELINE_MIN_PRIORITY
from pipeline.core.constants import PE
from pipeline.core.data.base import FancyDict
from pipeline.core.data.hydration import hydrate_data
from pipeline.core.data.var import PlainVariable, SpliceVariable
from pipeline.eri.celery.queues import MAX_PRIORITY
from pipeline.eri.runtime import BambooDjangoRuntime
from pipeline.signals import post_pipeline_finish, post_pipeline_revoke
from pipeline.utils.uniqid import line_uniqid, node_uniqid, uniqid
from tests.contract import trees


def test_default_settings_are_what_the_accessor_falls_back_to():
    assert default_settings.PLUGIN_EXECUTE_QUEUE == "plugin_execute"
    assert settings.PLUGIN_EXECUTE_QUEUE == default_settings.PLUGIN_EXECUTE_QUEUE
    with override_settings(PLUGIN_EXECUTE_QUEUE="elsewhere"):
        assert settings.PLUGIN_EXECUTE_QUEUE == "elsewhere"


def test_priority_constants_match_the_queues():
    assert (
        PIPELINE_MIN_PRIORITY == 0 < PIPELINE_DEFAULT_PRIORITY == 100 < PIPELINE_MAX_PRIORITY == MAX_PRIORITY
    )


def test_pe_names_are_the_tree_format():
    tree = trees.linear_tree(trees.activity("debug_node"))
    activity = next(iter(tree[PE.activities].values()))
    assert activity[PE.type] == PE.ServiceActivity and activity[PE.component][PE.code] == "debug_node"
    assert tree[PE.start_event][PE.type] == PE.EmptyStartEvent
    assert PE.ConvergeGateway in PE.Gateways and PE.SubProcess in PE.TaskNodes


def test_uniqids_are_unique_and_fit_the_id_columns():
    ids = (
        {uniqid() for _ in range(100)}
        | {node_uniqid() for _ in range(100)}
        | {line_uniqid() for _ in range(100)}
    )
    assert len(ids) == 300
    assert all(len(value) <= 33 for value in ids)
    assert node_uniqid()[0].isalpha() and line_uniqid()[0].isalpha()


def test_exception_hierarchy():
    assert issubclass(exceptions.ComponentNotExistException, exceptions.ComponentException)
    assert issubclass(exceptions.ConfigValidationError, exceptions.PipelineError)
    assert issubclass(exceptions.PipelineError, exceptions.PipelineException)
    assert issubclass(exceptions.ReferenceNotExistError, exceptions.ContextError)
    assert issubclass(exceptions.ComponentDataLackException, exceptions.ComponentDataFormatException)
    assert exceptions.ConnectionValidateError is engine_exceptions.ConnectionValidateError
    # The engine's validator raises these very classes.
    assert exceptions.StreamValidateError is engine_exceptions.StreamValidateError


def test_fancy_dict_and_hydrate_data():
    assert FancyDict is EngineFancyDict
    data = FancyDict({"a": 1})
    assert data.a == 1
    hydrated = hydrate_data({"p": PlainVariable("p", 3), "s": SpliceVariable("s", "x", None), "raw": [1]})
    assert hydrated["p"] == 3 and hydrated["raw"] == [1]
    assert "p" in hydrated and "s" in hydrated


def test_call_is_unittest_mock_call():
    from pipeline.component_framework.test import Call, CallAssertion

    func = mock.MagicMock()
    func(1, key="v")
    CallAssertion(func=func, calls=[Call(1, key="v")]).do_assert()


def test_check_worker_pings_and_retries(monkeypatch):
    from celery import current_app

    from pipeline.eri.utils import check_worker

    answers = [[], [{"w@h": {"ok": "pong"}}]]
    timeouts = []

    def ping(timeout, **kwargs):
        timeouts.append(timeout)
        return answers.pop(0)

    monkeypatch.setattr(current_app.control, "ping", ping)
    assert check_worker() == (True, [{"w@h": {"ok": "pong"}}])
    assert timeouts == [1, 2]


def test_check_worker_raises_when_the_broker_stays_unreachable(monkeypatch):
    from celery import current_app

    from pipeline.eri.utils import check_worker

    def ping(**kwargs):
        raise ConnectionRefusedError("no broker")

    monkeypatch.setattr(current_app.control, "ping", ping)
    with pytest.raises(OSError):
        check_worker()


class _Recorder:
    def __init__(self):
        self.ids = []

    def __call__(self, sender, instance_id, **kwargs):
        self.ids.append(instance_id)


@pytest.mark.django_db(transaction=True)
def test_root_end_signals(monkeypatch):
    from celery import current_app

    monkeypatch.setattr(current_app.conf, "task_always_eager", True)
    finished, revoked = _Recorder(), _Recorder()
    post_pipeline_finish.connect(finished)
    post_pipeline_revoke.connect(revoked)
    try:
        runtime = BambooDjangoRuntime()
        done = trees.linear_tree(trees.subprocess(trees.activity("debug_node")))
        assert engine_api.run_pipeline(runtime, done).result
        waiting = trees.linear_tree(trees.activity("callback_node"))
        assert engine_api.run_pipeline(runtime, waiting).result
        assert engine_api.revoke_pipeline(runtime, waiting["id"]).result
    finally:
        post_pipeline_finish.disconnect(finished)
        post_pipeline_revoke.disconnect(revoked)
    # The subprocess finished too, but only root pipelines are announced.
    assert finished.ids == [done["id"]]
    assert revoked.ids == [waiting["id"]]


@pytest.mark.django_db(transaction=True)
def test_plugin_execute_handler_raises_what_the_api_reports():
    from pipeline.contrib.plugin_execute.contants import State
    from pipeline.contrib.plugin_execute.exceptions import PluginExecuteException
    from pipeline.contrib.plugin_execute.handler import PluginExecuteHandler

    assert State.READY == "READY" and State.FAILED == "FAILED"
    with pytest.raises(PluginExecuteException, match="123456"):
        PluginExecuteHandler.get_state(123456)
    with pytest.raises(exceptions.ComponentNotExistException):
        PluginExecuteHandler.run("no_such_component", "legacy", {}, {})
