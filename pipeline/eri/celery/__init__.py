"""Celery tasks, queues and worker steps of the Django runtime."""
