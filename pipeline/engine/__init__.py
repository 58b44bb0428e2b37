"""Empty stub of the legacy ``pipeline.engine`` app.

bamboo_engine replaced the legacy engine; the app exists only so that settings files listing
``"pipeline.engine"`` in ``INSTALLED_APPS`` keep loading. It has no models, tasks or views.
"""
