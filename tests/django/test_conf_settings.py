"""pipeline.conf.settings: the project's value or the default, kept after a read, forgotten on a change."""

from django.test import override_settings

from pipeline.conf import DEFAULTS
from pipeline.conf import settings as conf


def test_a_kept_value_follows_override_settings():
    first = conf.BAMBOO_DJANGO_ERI_ALLOW_PICKLE  # read once: kept
    assert first == DEFAULTS["BAMBOO_DJANGO_ERI_ALLOW_PICKLE"]
    with override_settings(BAMBOO_DJANGO_ERI_ALLOW_PICKLE=not first):
        assert conf.BAMBOO_DJANGO_ERI_ALLOW_PICKLE is (not first)
        with override_settings(BAMBOO_DJANGO_ERI_ALLOW_PICKLE=first):
            assert conf.BAMBOO_DJANGO_ERI_ALLOW_PICKLE is first
        assert conf.BAMBOO_DJANGO_ERI_ALLOW_PICKLE is (not first)
    assert conf.BAMBOO_DJANGO_ERI_ALLOW_PICKLE is first


def test_a_kept_value_follows_the_settings_fixture(settings):
    before = conf.LOG_PERSISTENT_DAYS
    settings.LOG_PERSISTENT_DAYS = before + 3
    after = conf.LOG_PERSISTENT_DAYS
    assert after == before + 3


def test_settings_without_a_default_are_read_every_time():
    with override_settings(SOME_PROJECT_SETTING=1):
        assert conf.SOME_PROJECT_SETTING == 1
    with override_settings(SOME_PROJECT_SETTING=2):
        assert conf.SOME_PROJECT_SETTING == 2
