"""Django runtime tests: configure Django with ``tests.django_settings`` (SQLite in a file).

Importing this package configures Django for the session; the rest of the suite does not need it.
"""

import os

import django
import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django_settings")
django.setup()

from pipeline.eri.cache import runtime_cache  # noqa: E402
from tests.contract.services import register_all  # noqa: E402
from tests.django.harness import DjangoHarness  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_caches():
    # Process ids restart when tables are flushed between tests: cached routes/nodes would leak.
    runtime_cache.clear()
    yield
    runtime_cache.clear()


@pytest.fixture
def harness(transactional_db, monkeypatch):
    """A Django runtime with captured messages and every contract-suite plugin registered."""
    instance = DjangoHarness(monkeypatch)
    register_all(instance)
    return instance


@pytest.fixture
def runtime(transactional_db):
    from pipeline.eri.runtime import BambooDjangoRuntime

    return BambooDjangoRuntime()
