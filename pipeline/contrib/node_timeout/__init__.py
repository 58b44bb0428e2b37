"""``pipeline.contrib.node_timeout``: fail (or fail and skip) an activity that runs longer than N seconds.

Configure activities with :func:`~pipeline.contrib.node_timeout.api.apply_node_timout_configs` (tree key
``timeout_config``) and store the configs with
:func:`~pipeline.contrib.node_timeout.api.batch_create_node_timeout_config` before the run starts. When a
configured activity becomes RUNNING its deadline is armed (``signals.handlers``); when it leaves RUNNING
the deadline is disarmed. A scanner (``manage.py start_node_timeout_process``, or the beat task
``scan_node_timeout_pool``) dispatches due deadlines to Celery tasks (``tasks``) that apply the configured
strategy (``handlers``). docs/node-timeout.md describes it all.
"""
