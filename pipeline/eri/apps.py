"""App config of the Django runtime."""

from django.apps import AppConfig

from pipeline.exceptions import ConfigValidationError


class ERIConfig(AppConfig):
    name = "pipeline.eri"
    label = "eri"
    verbose_name = "Bamboo engine runtime"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from bamboo_engine import handlers
        from pipeline.eri.celery import tasks  # noqa: F401 - registers the Celery tasks

        handlers.register()
        validate_settings()
        copy_sandbox_settings()


def _validate_expr_func(settings) -> None:
    func = settings.PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC
    if func is None:
        return
    if not callable(func):
        raise ConfigValidationError(f"PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC must be callable, got {func!r}")
    if not settings.PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC_CHECK:
        return
    text = settings.PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC_TEXT
    try:
        result = func(text, {}, {})
    except Exception as err:
        raise ConfigValidationError(
            f"PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC raised {err!r} on the check expression {text!r} "
            "(set PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC_CHECK = False to skip this check)"
        ) from err
    if not result:
        raise ConfigValidationError(
            f"PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC returned {result!r} for the check expression {text!r}, "
            "expected a true value (check PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC_TEXT)"
        )


def validate_settings() -> None:
    """Check the runtime's settings; raises ConfigValidationError naming the bad setting."""
    from pipeline.conf import settings

    _validate_expr_func(settings)
    strategy = settings.PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY
    if strategy is not None and strategy not in (1, 2):
        raise ConfigValidationError(
            f"PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY must be 1 (ONLY) or 2 (FIRST), got {strategy!r}"
        )


def copy_sandbox_settings() -> None:
    """Copy the project's ``MAKO_SANDBOX_*`` settings into ``bamboo_engine.config.Settings``."""
    from django.conf import settings as django_settings

    from bamboo_engine.config import Settings

    if hasattr(django_settings, "MAKO_SANDBOX_SHIELD_WORDS"):
        Settings.MAKO_SANDBOX_SHIELD_WORDS = list(django_settings.MAKO_SANDBOX_SHIELD_WORDS)
    if hasattr(django_settings, "MAKO_SANDBOX_IMPORT_MODULES"):
        Settings.MAKO_SANDBOX_IMPORT_MODULES = dict(django_settings.MAKO_SANDBOX_IMPORT_MODULES)
