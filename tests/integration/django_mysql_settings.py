"""``playground.settings`` on Django's own MySQL backend (no connection pool), for the worker-start warning.

``test_worker_db_warning.py`` starts a gevent worker with it; ``pipeline.db.checks`` must warn.
"""

from playground.settings import *  # noqa: F403
from playground.settings import DATABASES

DATABASES["default"] = dict(DATABASES["default"], ENGINE="django.db.backends.mysql")
# ``pool`` is an option of pipeline.db.mysql only; Django's backend would hand it to the driver.
DATABASES["default"]["OPTIONS"] = {
    key: value for key, value in DATABASES["default"]["OPTIONS"].items() if key != "pool"
}
