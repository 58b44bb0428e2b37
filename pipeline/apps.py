"""App config of the ``pipeline`` app (management commands: scaffolding, Celery wrappers, ...)."""

from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "pipeline"
    label = "pipeline"
    verbose_name = "Bamboo pipeline"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # settings.redis_inst / REDIS_INST from REDIS, where upstream projects and the contrib apps read it
        from pipeline.redis_client import expose_redis_client

        expose_redis_client()
