# Django loads the Celery app with the project, as Celery's Django guide recommends.
from .celery import app as celery_app

__all__ = ["celery_app"]
