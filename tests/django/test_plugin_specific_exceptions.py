"""``PLUGIN_SPECIFIC_EXCEPTIONS``: listed plugin exceptions show only their message in ``ex_data``."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from bamboo_engine.plugin import Service, StaticIntervalGenerator
from pipeline.conf import DEFAULTS
from pipeline.eri.imp.service import ServiceWrapper, plugin_specific_exceptions
from tests.contract import trees


class QuotaExceeded(Exception):
    """What a plugin raises for an expected, user-facing problem."""


class QuotaExceededSoon(QuotaExceeded):
    pass


class RaisesQuota(Service):
    def execute(self, data, parent_data):
        raise QuotaExceededSoon("quota of project demo exceeded")


class RaisesValueError(Service):
    def execute(self, data, parent_data):
        raise ValueError("unexpected bug")


class PollRaisesQuota(Service):
    __need_schedule__ = True
    interval = StaticIntervalGenerator(1)

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        raise QuotaExceeded("poll quota exceeded")


QUOTA_PATH = f"{__name__}.QuotaExceeded"


@pytest.fixture
def plugins(harness):
    harness.register_service("brief_quota", RaisesQuota)
    harness.register_service("brief_value_error", RaisesValueError)
    harness.register_service("brief_poll_quota", PollRaisesQuota)
    return harness


def run_failing(harness, code):
    act = trees.activity(code)
    harness.start(trees.linear_tree(act))
    harness.run_until_idle()
    assert harness.state_name(act.id) == "FAILED"
    return harness.outputs(act.id)["ex_data"]


def test_default_is_empty_and_keeps_the_traceback(plugins):
    assert DEFAULTS["PLUGIN_SPECIFIC_EXCEPTIONS"] == ()
    ex_data = run_failing(plugins, "brief_quota")
    assert ex_data.startswith("Traceback (most recent call last)")
    assert "QuotaExceededSoon: quota of project demo exceeded" in ex_data


@pytest.mark.parametrize("setting", [(QuotaExceeded,), (QUOTA_PATH,), QUOTA_PATH])
def test_listed_exception_and_subclasses_show_only_the_message(plugins, setting):
    with override_settings(PLUGIN_SPECIFIC_EXCEPTIONS=setting):
        assert run_failing(plugins, "brief_quota") == "quota of project demo exceeded"


def test_unlisted_exception_keeps_the_traceback(plugins):
    with override_settings(PLUGIN_SPECIFIC_EXCEPTIONS=(QUOTA_PATH,)):
        ex_data = run_failing(plugins, "brief_value_error")
    assert "Traceback (most recent call last)" in ex_data and "ValueError: unexpected bug" in ex_data


def test_schedule_exceptions_are_shown_briefly_too(plugins):
    with override_settings(PLUGIN_SPECIFIC_EXCEPTIONS=(QuotaExceeded,)):
        assert run_failing(plugins, "brief_poll_quota") == "poll quota exceeded"


def test_a_broken_setting_keeps_the_traceback(plugins):
    with override_settings(PLUGIN_SPECIFIC_EXCEPTIONS=("no.such.module.Error",)):
        ex_data = run_failing(plugins, "brief_quota")
    assert "QuotaExceededSoon: quota of project demo exceeded" in ex_data


@pytest.mark.parametrize(
    "setting, message",
    [
        (("no.such.module.Error",), "'no.such.module.Error' can not be imported"),
        ((f"{__name__}.run_failing",), "is not an exception class"),
        ((42,), "42 is not an exception class"),
    ],
)
def test_bad_entries_are_named_in_the_error(settings, setting, message):
    settings.PLUGIN_SPECIFIC_EXCEPTIONS = setting
    with pytest.raises(ImproperlyConfigured, match=message):
        plugin_specific_exceptions()


def test_service_wrapper_offers_the_engine_hook(settings):
    settings.PLUGIN_SPECIFIC_EXCEPTIONS = (QUOTA_PATH, KeyError)
    assert ServiceWrapper(RaisesQuota()).brief_exceptions() == (QuotaExceeded, KeyError)
