"""PLACEHOLDER for ``pipeline.contrib.engine_admin``: the operator console and JSON API.

NOT IMPLEMENTED. Only the Django app exists, so settings files listing
``"pipeline.contrib.engine_admin"`` in ``INSTALLED_APPS`` load. It has no models, api,
commands or tasks: do not rely on it doing anything (docs/migrating-from-upstream.md lists what is
missing).
"""
