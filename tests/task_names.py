"""The Celery task names our apps register (checked by the task registration tests)."""

OUR_TASKS = frozenset(
    {
        "pipeline.eri.celery.tasks.execute",
        "pipeline.eri.celery.tasks.schedule",
        "pipeline.eri.celery.tasks.clean_expired_log",
        "pipeline.eri.celery.healing_tasks.heal_stuck_pipelines",
        "pipeline.contrib.plugin_execute.tasks.execute",
        "pipeline.contrib.plugin_execute.tasks.schedule",
        "pipeline.contrib.rollback.tasks.token_rollback",
    }
)
