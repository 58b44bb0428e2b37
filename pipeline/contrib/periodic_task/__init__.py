"""PLACEHOLDER for ``pipeline.contrib.periodic_task``: cron-scheduled pipeline runs.

NOT IMPLEMENTED YET. Only the Django app exists, so settings files listing
``"pipeline.contrib.periodic_task"`` in ``INSTALLED_APPS``
load; the feature (models, api, commands, tasks) arrives with a later issue.
Nothing here works yet: do not rely on this app doing anything.
"""
