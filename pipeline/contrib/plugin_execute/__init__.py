"""PLACEHOLDER for ``pipeline.contrib.plugin_execute``: running one plugin without a pipeline.

NOT IMPLEMENTED YET. Only the Django app exists, so settings files listing
``"pipeline.contrib.plugin_execute"`` in ``INSTALLED_APPS``
load; the feature (models, api, commands, tasks) arrives with a later issue.
Nothing here works yet: do not rely on this app doing anything.
"""
