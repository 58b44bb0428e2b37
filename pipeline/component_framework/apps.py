"""App config of the component framework: discovery at ready, table sync after migrate."""

import logging

from django.apps import AppConfig
from django.db.models.signals import post_migrate

logger = logging.getLogger(__name__)


class ComponentFrameworkConfig(AppConfig):
    name = "pipeline.component_framework"
    label = "component_framework"
    verbose_name = "Pipeline component framework"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from pipeline.component_framework.discovery import component_packages, import_package_tree
        from pipeline.conf import settings

        # Import only: classes register in memory. No database access here (it may not exist yet).
        configured = list(settings.COMPONENT_PATH or [])
        for package in component_packages(configured, bool(settings.ENABLE_EXAMPLE_COMPONENTS)):
            import_package_tree(package, required=package in configured)
        post_migrate.connect(
            sync_after_migrate, sender=self, dispatch_uid="pipeline.component_framework.sync_after_migrate"
        )


def sync_after_migrate(sender, using="default", **kwargs):
    """``post_migrate`` receiver: mirror the registry into ``ComponentModel`` when enabled."""
    from pipeline.component_framework.models import ComponentModel
    from pipeline.component_framework.sync import sync_component_models, table_exists
    from pipeline.conf import settings

    if not settings.AUTO_UPDATE_COMPONENT_MODELS:
        return
    # Guards a partial migrate (``migrate other_app``) that runs before ours created the table.
    if not table_exists(ComponentModel, using):
        logger.info("component table missing on %s; component sync skipped", using)
        return
    sync_component_models(using=using)
