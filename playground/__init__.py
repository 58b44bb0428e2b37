"""The playground Django project used by demos, tests and benchmarks.

The Celery app is exported as ``celery_app`` so that ``celery -A playground`` finds it and Django code
sending tasks (``shared_task``, ``current_app``) uses it.
"""

from playground.celery import app as celery_app

__all__ = ["celery_app"]
