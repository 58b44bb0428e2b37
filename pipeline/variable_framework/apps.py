"""App config of the variable framework: discovery at ready, table sync after migrate."""

import logging

from django.apps import AppConfig
from django.db.models.signals import post_migrate

logger = logging.getLogger(__name__)


class VariableFrameworkConfig(AppConfig):
    name = "pipeline.variable_framework"
    label = "variable_framework"
    verbose_name = "Pipeline variable framework"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from pipeline.component_framework.discovery import import_package_tree, variable_packages
        from pipeline.conf import settings

        # Import only: lazy variable classes register in memory. No database access here.
        configured = list(settings.VARIABLE_PATH or [])
        for package in variable_packages(configured):
            import_package_tree(package, required=package in configured)
        post_migrate.connect(
            sync_after_migrate, sender=self, dispatch_uid="pipeline.variable_framework.sync_after_migrate"
        )


def sync_after_migrate(sender, using="default", **kwargs):
    """``post_migrate`` receiver: mirror the registry into ``VariableModel`` when enabled."""
    from pipeline.component_framework.sync import table_exists
    from pipeline.conf import settings
    from pipeline.variable_framework.models import VariableModel
    from pipeline.variable_framework.sync import sync_variable_models

    if not settings.AUTO_UPDATE_VARIABLE_MODELS:
        return
    if not table_exists(VariableModel, using):
        logger.info("variable table missing on %s; variable sync skipped", using)
        return
    sync_variable_models(using=using)
