"""Celery helpers of the contrib apps (``periodic``: tasks that schedule themselves in beat)."""
