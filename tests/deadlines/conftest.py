"""Django setup (``tests.django_settings``, SQLite) and the ``rig`` fixture of the deadline tests.

``rig`` runs each test on the in-memory path (``InMemoryRuntime``, in-memory pool and ledger, scanner
passes delivered in the test's thread) and on the Django runtime on SQLite (the apps' own receivers,
database pool and ledger, Celery tasks run eagerly).
"""

import os

import django
import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django_settings")
django.setup()

from pipeline.eri.cache import runtime_cache  # noqa: E402
from tests.deadlines import actions  # noqa: E402
from tests.deadlines.rigs import RIG_MARKS, RIGS  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_caches():
    from pipeline.contrib.node_timeout.wiring import root_configs as timeout_configs
    from pipeline.contrib.node_timer_event.wiring import root_configs as timer_configs

    caches = (runtime_cache.clear, timeout_configs.clear, timer_configs.clear)
    for clear in caches:
        clear()
    actions.CALLS.clear()
    yield
    for clear in caches:
        clear()


@pytest.fixture
def harness(transactional_db, monkeypatch):
    """The Django runtime with captured messages and every contract-suite plugin registered."""
    from tests.contract.services import register_all
    from tests.django.harness import DjangoHarness

    instance = DjangoHarness(monkeypatch)
    register_all(instance)
    return instance


@pytest.fixture(params=[pytest.param(name, id=name, marks=RIG_MARKS.get(name, ())) for name in sorted(RIGS)])
def rig(request):
    """A runtime with node timeouts and timer events wired, whose deadline clock the test drives."""
    instance = RIGS[request.param](request)
    try:
        yield instance
    finally:
        instance.close()
