"""``pipeline.contrib.node_timer_event``: BPMN-style boundary timers on activities.

Configure activities with :func:`~pipeline.contrib.node_timer_event.api.apply_node_timer_event_configs`
(tree key ``events.timer_events``: ISO 8601 ``time_date`` / ``time_duration`` / ``time_cycle`` timers) and
store them with :func:`~pipeline.contrib.node_timer_event.api.batch_create_node_timer_event_config` before
the run starts. A configured activity's timers are armed when it becomes RUNNING and disarmed when it
leaves RUNNING; a scanner (``manage.py start_node_timer_event_process`` or the beat task
``scan_node_timer_event_pool``) dispatches due timers to Celery tasks that run the timer's action
(``handlers``: ``BaseAction`` subclasses registered by ``Meta.action_name``). docs/node-timer-event.md
describes it all.
"""
