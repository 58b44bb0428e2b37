"""PLACEHOLDER for ``pipeline.contrib.rollback``: rollback.

NOT IMPLEMENTED YET. Only the Django app exists, so settings files listing
``"pipeline.contrib.rollback"`` in ``INSTALLED_APPS``
load; the feature (models, api, commands, tasks) arrives with a later issue.
Nothing here works yet: do not rely on this app doing anything.
"""
