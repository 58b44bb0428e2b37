"""``pipeline.contrib.plugin_execute``: run one plugin (component) without a pipeline.

The public functions live in :mod:`pipeline.contrib.plugin_execute.api` (``run``, ``get_state``,
``callback``, ``forced_fail``, ``retry``); each run is a
:class:`~pipeline.contrib.plugin_execute.models.PluginExecuteTask` row driven by the Celery tasks of
:mod:`pipeline.contrib.plugin_execute.tasks` on the queue ``settings.PLUGIN_EXECUTE_QUEUE``. Add
:func:`pipeline.contrib.plugin_execute.queues.queues` to ``CELERY_QUEUES`` and start a worker with
``-Q plugin_execute``. See docs/plugin-execute.md.
"""
