"""Session fixtures of the integration tests: services, a dedicated database and vhost, real workers.

Workers (each consumes its own queues, so tests can aim at a pool):

* ``prefork_worker``: ``-P prefork -c 2`` on the default queues ``er_execute,er_schedule``;
* ``gevent_worker``: ``-P gevent -c 100`` on the custom queue ``gv`` (``er_execute_gv,er_schedule_gv``),
  reached with ``run_pipeline(..., queue="gv")``.

The browser tests' fixtures (``chromium_installed``, ``console_url``, ``browser``) live in
:mod:`tests.integration.browser`.
"""

import pytest

from tests.integration.browser import browser, chromium_installed, console_url  # noqa: F401 - fixtures
from tests.integration.env import DATABASE, DjangoConfiguredElsewhere, Worker, shared_session
from tests.integration.helpers import PROBE_IMPORTS

#: Modules about one database server, by file-name suffix: collected only in a session on that server.
_SERVER_SUFFIXES = {"mariadb": "_postgres.py", "postgres": "_mariadb.py"}


def pytest_addoption(parser):
    parser.addoption(
        "--heartbeat-contrast",
        action="store_true",
        default=False,
        help="also run a gevent worker with an AMQP heartbeat to show the per-message stall",
    )


def _kept(config, item) -> bool:
    # The session runs on one server (BAMBOO_IT_DB): the other server's own tests do not apply there.
    if item.path.name.endswith(_SERVER_SUFFIXES[DATABASE]):
        return False
    # The contrast run is a demonstration (minutes long), not a check: collected only on request.
    return config.getoption("--heartbeat-contrast") or item.get_closest_marker("heartbeat_contrast") is None


def pytest_collection_modifyitems(config, items):
    kept = [item for item in items if _kept(config, item)]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


@pytest.fixture(scope="session")
def it_session(request):
    """Services up, a fresh ``bamboo_test_*`` database (migrated) and vhost; dropped at the end."""
    try:
        return shared_session(request.config)
    except DjangoConfiguredElsewhere as err:
        pytest.skip(str(err))


@pytest.fixture(scope="session")
def prefork_worker(it_session):
    worker = Worker(it_session, "prefork", "prefork", 2, ["er_execute", "er_schedule"], PROBE_IMPORTS)
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def gevent_worker(it_session):
    worker = Worker(it_session, "gevent", "gevent", 100, ["er_execute_gv", "er_schedule_gv"], PROBE_IMPORTS)
    worker.start()
    yield worker
    worker.stop()
