"""The Celery task names our apps register (checked by the task registration tests)."""

OUR_TASKS = frozenset(
    {
        "pipeline.eri.celery.tasks.execute",
        "pipeline.eri.celery.tasks.schedule",
        "pipeline.eri.celery.tasks.clean_expired_log",
        "pipeline.eri.celery.healing_tasks.heal_stuck_pipelines",
        "pipeline.contrib.plugin_execute.tasks.execute",
        "pipeline.contrib.plugin_execute.tasks.schedule",
        "pipeline.contrib.node_timeout.tasks.dispatch_timeout_nodes",
        "pipeline.contrib.node_timeout.tasks.execute_node_timeout_strategy",
        "pipeline.contrib.node_timeout.tasks.scan_node_timeout_pool",
        "pipeline.contrib.node_timer_event.tasks.dispatch_expired_nodes",
        "pipeline.contrib.node_timer_event.tasks.execute_node_timer_event_action",
        "pipeline.contrib.node_timer_event.tasks.scan_node_timer_event_pool",
        "pipeline.contrib.rollback.tasks.token_rollback",
        "pipeline.contrib.periodic_task.tasks.bamboo_engine_periodic_task_start",
    }
)
