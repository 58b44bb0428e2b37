"""Fixtures of the compat suite: the compat project on its own database and vhost, a gevent worker.

Nothing is configured at import: ``make unit`` collects (and deselects) these tests in a process whose
Django runs on SQLite.
"""

import tempfile
from pathlib import Path

import pytest

from tests.compat.harness import DEFAULT_QUEUES, CompatSession, CompatWorker
from tests.integration.env import DjangoConfiguredElsewhere, drop_stale_sessions, ensure_services


@pytest.fixture(scope="session")
def compat_session(request):
    """Services up, a fresh migrated ``bamboo_test_*`` database and vhost for the compat project."""
    session = CompatSession(Path(tempfile.mkdtemp(prefix="bamboo_compat_")))
    try:
        session.setup_django()
    except DjangoConfiguredElsewhere as err:
        pytest.skip(str(err))
    ensure_services()
    drop_stale_sessions()
    session.create()
    request.addfinalizer(session.destroy)
    return session


@pytest.fixture(scope="session")
def worker(compat_session):
    """The project's worker as upstream documents it for throughput: ``-P gevent -c 100``."""
    worker = CompatWorker(compat_session, "gevent", "gevent", 100, DEFAULT_QUEUES)
    worker.start()
    yield worker
    worker.stop()
