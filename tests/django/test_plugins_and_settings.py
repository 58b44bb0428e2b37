"""Plugin lookups through the component framework's registries, config, logs and app-ready checks."""

import logging

import pytest
from django.test import override_settings

from bamboo_engine.config import Settings
from bamboo_engine.eri.models.runtime import ExecutionData
from bamboo_engine.plugin import DataObject, Service
from pipeline.component_framework.library import ComponentLibrary
from pipeline.core.data.base import DataObject as PipelineDataObject
from pipeline.eri import signals
from pipeline.eri.apps import copy_sandbox_settings, validate_settings
from pipeline.eri.imp.service import ServiceWrapper
from pipeline.eri.log import ERINodeLogHandler, get_logger
from pipeline.eri.models import LogEntry
from pipeline.exceptions import ComponentNotExistException, ConfigValidationError


class _Echo(Service):
    def execute(self, data, parent_data):
        self.logger.info("echo %s", data.get_one_of_inputs("x"))
        data.set_outputs("y", data.get_one_of_inputs("x"))
        return True


class _EchoComponent:
    code = "eri_test_echo"
    bound_service = _Echo


@pytest.fixture
def echo_component():
    ComponentLibrary.register_component(_EchoComponent.code, "v1", _EchoComponent)
    yield _EchoComponent
    ComponentLibrary.components.pop(_EchoComponent.code, None)


def test_get_service_uses_the_component_library(runtime, echo_component):
    sent = []
    signals.pre_service_execute.connect(lambda sender, **kw: sent.append(kw), weak=False, dispatch_uid="t")
    try:
        service = runtime.get_service("eri_test_echo", "v1", name="echo")
        service.setup_runtime_attributes(id="n1", version="v1", loop=1, inner_loop=1, root_pipeline_id="r")
        data = ExecutionData({"x": 3}, {})
        assert isinstance(service, ServiceWrapper) and service.execute(data, ExecutionData({}, {}))
    finally:
        signals.pre_service_execute.disconnect(dispatch_uid="t")
    assert data.outputs["y"] == 3 and len(sent) == 1
    # receivers get the DataObject the plugin then reads and writes (as upstream)
    assert isinstance(sent[0]["data"], DataObject) and sent[0]["data"].outputs == {"y": 3}
    with pytest.raises(ComponentNotExistException):
        runtime.get_service("eri_test_echo", "v9")


def test_plugins_receive_the_pipeline_data_object(runtime):
    seen = []

    class _Inspect(Service):
        def execute(self, data, parent_data):
            seen.extend([data, parent_data])
            return True

    class _InspectComponent:
        code = "eri_test_inspect"
        bound_service = _Inspect

    ComponentLibrary.register_component(_InspectComponent.code, "v1", _InspectComponent)
    try:
        service = runtime.get_service("eri_test_inspect", "v1", name="inspect")
        service.setup_runtime_attributes(id="n1", version="v1", loop=1, inner_loop=1, root_pipeline_id="r")
        assert service.execute(ExecutionData({"x": 1}, {}), ExecutionData({}, {}))
    finally:
        ComponentLibrary.components.pop(_InspectComponent.code, None)
    # plugins written for the Django framework check against its own class
    assert [type(obj) for obj in seen] == [PipelineDataObject, PipelineDataObject]
    assert seen[0].get_one_of_inputs("x") == 1


def test_node_logs_are_stored_per_run(runtime):
    handler = ERINodeLogHandler()
    logger = logging.getLogger("pipeline.eri.log")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        get_logger("n1", 1, "v1").info("first run")
        get_logger("n1", 2, "v2").info("second run")
    finally:
        logger.removeHandler(handler)
    assert LogEntry.objects.filter(node_id="n1").count() == 2
    assert runtime.get_plain_log_for_node("n1", version="v2") == "second run"
    runtime.set_state("n1", "RUNNING")
    assert runtime.get_plain_log_for_node("n1") == ""  # the current version has no log yet


def test_get_config_prefers_truthy_django_settings(runtime):
    assert runtime.get_config("PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY") == 1
    with override_settings(PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY=2):
        assert runtime.get_config("PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY") == 2
    assert runtime.node_rerun_limit("r", "n") == 100


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC": "not callable"}, "must be callable"),
        ({"PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC": lambda expr, ctx, extra: False}, "expected a true value"),
        ({"PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY": 3}, "must be 1 (ONLY) or 2 (FIRST)"),
    ],
)
def test_settings_validation(overrides, message):
    with override_settings(**overrides), pytest.raises(ConfigValidationError) as info:
        validate_settings()
    assert message in str(info.value)


def test_settings_validation_accepts_good_values():
    with override_settings(
        PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC=lambda expr, ctx, extra: False,
        PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC_CHECK=False,
        PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY=2,
    ):
        validate_settings()


def test_sandbox_settings_are_copied(monkeypatch):
    monkeypatch.setattr(Settings, "MAKO_SANDBOX_SHIELD_WORDS", list(Settings.MAKO_SANDBOX_SHIELD_WORDS))
    monkeypatch.setattr(Settings, "MAKO_SANDBOX_IMPORT_MODULES", {})
    with override_settings(MAKO_SANDBOX_SHIELD_WORDS=["eval"], MAKO_SANDBOX_IMPORT_MODULES={"math": "math"}):
        copy_sandbox_settings()
    assert Settings.MAKO_SANDBOX_SHIELD_WORDS == ["eval"]
    assert Settings.MAKO_SANDBOX_IMPORT_MODULES == {"math": "math"}


@pytest.fixture
def engine_render_settings(monkeypatch):
    """The engine's ``MAKO_RENDER_*`` settings, restored after the test."""
    from bamboo_engine.template.render_settings import SETTING_NAMES

    for name in SETTING_NAMES:
        monkeypatch.setattr(Settings, name, getattr(Settings, name))
    return Settings


def test_render_settings_are_copied_from_django_settings(engine_render_settings):
    with override_settings(MAKO_RENDER_BACKEND="subprocess", MAKO_RENDER_POOL_SIZE=2, MAKO_RENDER_TIMEOUT=9):
        copy_sandbox_settings()

    values = (Settings.MAKO_RENDER_BACKEND, Settings.MAKO_RENDER_POOL_SIZE, Settings.MAKO_RENDER_TIMEOUT)
    assert values == ("subprocess", 2, 9)


@pytest.mark.parametrize(
    "overrides,message",
    [
        (
            {"MAKO_RENDER_BACKEND": "wasm"},
            "MAKO_RENDER_BACKEND must be 'inprocess' or 'subprocess', got 'wasm'",
        ),
        ({"MAKO_RENDER_TIMEOUT": "30"}, "MAKO_RENDER_TIMEOUT must be a positive number of seconds, got '30'"),
        ({"MAKO_RENDER_ENV_SCRUB_EXTRA": "KEY"}, "MAKO_RENDER_ENV_SCRUB_EXTRA must be a list of strings"),
    ],
)
def test_invalid_render_settings_stop_the_start_naming_the_setting(
    engine_render_settings, overrides, message
):
    with override_settings(**overrides), pytest.raises(ConfigValidationError) as info:
        copy_sandbox_settings()
    assert message in str(info.value)


def test_invalid_render_settings_set_on_the_engine_settings_stop_the_start_too(engine_render_settings):
    engine_render_settings.MAKO_RENDER_POOL_SIZE = 0

    with pytest.raises(
        ConfigValidationError, match="MAKO_RENDER_POOL_SIZE must be an int of at least 1, got 0"
    ):
        copy_sandbox_settings()
