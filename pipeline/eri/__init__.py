"""pipeline.eri: the Django + Celery implementation of the Engine Runtime Interface."""
