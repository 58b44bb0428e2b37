"""Priority bounds of a run (``run_pipeline(..., priority=...)``; Celery queues have ``max_priority=255``)."""

PIPELINE_DEFAULT_PRIORITY = 100
PIPELINE_MIN_PRIORITY = 0
PIPELINE_MAX_PRIORITY = 255
