"""A gevent worker warns at start about a database setup that slows it down (``pipeline.db.checks``).

The session's gevent worker runs the recommended setup (``pipeline.db.mysql`` on PyMySQL) and logs no
such warning; one started on Django's own MySQL backend logs ``pipeline.W002`` with the fix and the doc.
"""

import pytest

from tests.integration.env import Worker
from tests.integration.helpers import PROBE_IMPORTS

pytestmark = pytest.mark.integration


def test_recommended_setup_logs_no_database_warning(gevent_worker):
    assert "pipeline.W00" not in gevent_worker.log_path.read_text(errors="replace")


def test_django_mysql_backend_under_gevent_is_warned_about_at_worker_start(it_session):
    env = dict(PROBE_IMPORTS, DJANGO_SETTINGS_MODULE="tests.integration.django_mysql_settings")
    worker = Worker(it_session, "gevent-django-mysql", "gevent", 10, ["er_execute_dbw"], env)
    worker.start()
    try:
        log = worker.log_path.read_text(errors="replace")
    finally:
        worker.stop()

    assert "DATABASES['default']: (pipeline.W002) django.db.backends.mysql in a gevent" in log, log[-3000:]
    assert '"ENGINE": "pipeline.db.mysql"' in log and "docs/workers.md#gevent-and-the-database-driver" in log
