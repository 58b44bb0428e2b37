"""PLACEHOLDER for ``pipeline.contrib.engine_admin``: the operator console and JSON API.

NOT IMPLEMENTED YET. Only the Django app exists, so settings files listing
``"pipeline.contrib.engine_admin"`` in ``INSTALLED_APPS``
load; the feature (models, api, commands, tasks) arrives with a later issue.
Nothing here works yet: do not rely on this app doing anything.
"""
