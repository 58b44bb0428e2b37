"""Helpers of the Django runtime under upstream's import path: ``check_worker``."""

from typing import Any, List, Tuple

__all__ = ["check_worker"]


def check_worker(connection: Any = None) -> Tuple[bool, List[dict]]:
    """Ping the Celery workers; ``(True, replies)`` where ``replies`` is empty when none answered.

    Tries ``PIPELINE_WORKER_PING_TIMES`` times (default 2), waiting one second more each time.

    Raises:
        OSError: the broker could not be reached on the last try.
    """
    from celery import current_app

    from pipeline.conf import settings

    attempts = max(1, int(settings.PIPELINE_WORKER_PING_TIMES))
    replies: List[dict] = []
    for attempt in range(attempts):
        options: dict = {"timeout": attempt + 1}
        if connection is not None:
            options["connection"] = connection
        try:
            replies = current_app.control.ping(**options) or []
        except OSError:
            if attempt == attempts - 1:
                raise
        if replies:
            break
    return True, replies
