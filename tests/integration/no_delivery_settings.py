"""``playground.settings`` without the project's Celery delivery settings, as an upstream-style project has.

No ``CELERY_TASK_ACKS_LATE``, ``CELERY_TASK_REJECT_ON_WORKER_LOST`` or ``CELERY_WORKER_PREFETCH_MULTIPLIER``:
what the runtime needs to survive a worker crash must come from the runtime itself. The broker heartbeat
stays off (with it, Celery's gevent pool stalls about 0.1 s per message, see ``playground/settings.py``),
and the delivery lease is shortened to 10 s so that a takeover after a SIGKILL starts within seconds
(``test_chaos_kill.py``).
"""

from playground.settings import *  # noqa: F403

del CELERY_TASK_ACKS_LATE  # noqa: F821
del CELERY_TASK_REJECT_ON_WORKER_LOST  # noqa: F821
del CELERY_WORKER_PREFETCH_MULTIPLIER  # noqa: F821

BAMBOO_DJANGO_ERI_DELIVERY_LEASE_SECONDS = 10
