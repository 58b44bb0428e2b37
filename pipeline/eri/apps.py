"""App config of the Django runtime: task registration, engine handlers, settings checks."""

from django.apps import AppConfig

from pipeline.exceptions import ConfigValidationError


class ERIConfig(AppConfig):
    name = "pipeline.eri"
    label = "eri"
    verbose_name = "Bamboo engine runtime"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.core.signals import setting_changed

        from bamboo_engine import handlers
        from pipeline.eri.cache import runtime_cache

        # Registers the Celery tasks in every Celery app, with or without ``autodiscover_tasks``.
        from pipeline.eri.celery import healing_tasks, tasks  # noqa: F401

        handlers.register()
        _forward_root_end_states()
        setting_changed.connect(runtime_cache.on_setting_changed, dispatch_uid="pipeline.eri.runtime_cache")
        validate_settings()
        copy_sandbox_settings()
        _watch_worker_start()


def _forward_root_end_states() -> None:
    from pipeline.eri import run_signals
    from pipeline.eri.signals import post_set_state

    post_set_state.connect(run_signals.forward_root_end_state, dispatch_uid="pipeline.eri.run_signals")


def _watch_worker_start() -> None:
    from celery.signals import celeryd_after_setup

    # Registers the ``pipeline`` system check; the receiver logs its warnings when a worker starts.
    from pipeline.db import checks
    from pipeline.eri.celery import maintenance

    celeryd_after_setup.connect(checks.warn_at_worker_start, dispatch_uid="pipeline.db.checks.worker_start")
    # Celery defaults the runtime needs, the outbox relay, the claim sweep and the healing timer.
    maintenance.connect()


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
    """Copy the project's ``MAKO_SANDBOX_*`` and ``MAKO_RENDER_*`` settings into the engine's settings.

    Raises:
        ConfigValidationError: a ``MAKO_RENDER_*`` value (set here or on
            ``bamboo_engine.config.Settings``) is invalid; the message names the setting.
    """
    from django.conf import settings as django_settings

    from bamboo_engine.config import Settings
    from bamboo_engine.exceptions import ValueError as EngineValueError
    from bamboo_engine.template.render_settings import SETTING_NAMES, read_render_settings

    if hasattr(django_settings, "MAKO_SANDBOX_SHIELD_WORDS"):
        Settings.MAKO_SANDBOX_SHIELD_WORDS = list(django_settings.MAKO_SANDBOX_SHIELD_WORDS)
    if hasattr(django_settings, "MAKO_SANDBOX_IMPORT_MODULES"):
        Settings.MAKO_SANDBOX_IMPORT_MODULES = dict(django_settings.MAKO_SANDBOX_IMPORT_MODULES)
    for name in SETTING_NAMES:
        if hasattr(django_settings, name):
            setattr(Settings, name, getattr(django_settings, name))
    try:
        read_render_settings(Settings)
    except EngineValueError as err:
        raise ConfigValidationError(str(err)) from err
