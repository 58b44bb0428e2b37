"""PLACEHOLDER for ``pipeline.contrib.node_timeout``: node timeouts.

NOT IMPLEMENTED YET. Only the Django app exists, so settings files listing
``"pipeline.contrib.node_timeout"`` in ``INSTALLED_APPS``
load; the feature (models, api, commands, tasks) arrives with a later issue.
Nothing here works yet: do not rely on this app doing anything.
"""
