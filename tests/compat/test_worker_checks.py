"""A gevent worker on Django's ``mysql`` backend with mysqlclient warns at start and names the fix.

mysqlclient's queries block the whole gevent event loop (every greenlet of the worker waits for each
query); ``pipeline.db.mysql`` with PyMySQL does not. The project uses the blocking combination, as many
upstream projects do: its worker must say so when it starts, name the fix and link the documentation.
"""

import re
import sys

import pytest

from tests.compat.harness import CompatWorker

pytestmark = pytest.mark.integration

DOC_LINK = re.compile(r"docs/\S+\.md|https?://\S+")


def start_log(worker) -> str:
    """The worker's log up to its first task: what it printed while starting."""
    text = worker.log_path.read_text(errors="replace")
    return text.split(" Task ", 1)[0]


def test_the_project_runs_django_mysql_with_mysqlclient(compat_session):
    from django.conf import settings

    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.mysql"
    assert (
        sys.modules["MySQLdb"].__name__ == "MySQLdb"
    ), "MySQLdb is not mysqlclient (install the [mysql] extra)"


def test_gevent_worker_on_django_mysql_and_mysqlclient_warns_at_start(worker):
    log = start_log(worker)

    assert "pipeline.db.mysql" in log, f"no warning naming the fix at worker start:\n{log}"
    assert DOC_LINK.search(log), f"the warning links no documentation:\n{log}"


def test_prefork_worker_on_the_same_settings_does_not_warn(compat_session):
    prefork = CompatWorker(compat_session, "prefork-check", "prefork", 1, ["compat_idle"])
    prefork.start()
    try:
        log = start_log(prefork)
    finally:
        prefork.stop()

    assert "pipeline.db.mysql" not in log, log
