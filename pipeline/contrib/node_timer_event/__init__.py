"""PLACEHOLDER for ``pipeline.contrib.node_timer_event``: boundary timer events.

NOT IMPLEMENTED. Only the Django app exists, so settings files listing
``"pipeline.contrib.node_timer_event"`` in ``INSTALLED_APPS`` load. It has no models, api,
commands or tasks: do not rely on it doing anything (docs/migrating-from-upstream.md lists what is
missing).
"""
