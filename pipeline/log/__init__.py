"""Empty stub of the legacy ``pipeline.log`` app.

Node logs now live in ``pipeline.eri`` (``LogEntry``); the app exists only so that settings files
listing ``"pipeline.log"`` in ``INSTALLED_APPS`` keep loading. It has no models or handlers.
"""
