"""One lazy accessor for the Django settings the runtime reads.

``from pipeline.conf import settings`` then ``settings.LOG_PERSISTENT_DAYS``: the value of the Django
setting if the project defines it, else its default (:mod:`pipeline.conf.default_settings`). Nothing
is read at import time, so modules can import this at the top.

The value of a setting with a default is kept after its first read (a worker reads some of them for every
node) and forgotten when Django sends ``setting_changed`` (``override_settings``, pytest-django's
``settings`` fixture), so overridden settings are honoured. A setting assigned on ``django.conf.settings``
at run time without that signal is not seen once read: Django documents settings as fixed at run time.
"""

from typing import Any, Dict

from pipeline.conf import default_settings

DEFAULTS: Dict[str, Any] = {name: value for name, value in vars(default_settings).items() if name.isupper()}


class LazySettings:
    """Reads ``django.conf.settings`` at attribute access, falling back to :data:`DEFAULTS`.

    ``redis_inst`` is the project's Redis client: ``settings.redis_inst`` / ``settings.REDIS_INST``, which
    the ``pipeline`` app sets from ``REDIS`` at start-up (:mod:`pipeline.redis_client`); None without one.
    """

    @property
    def redis_inst(self) -> Any:
        from django.conf import settings as django_settings

        return getattr(django_settings, "redis_inst", None) or getattr(django_settings, "REDIS_INST", None)

    def __init__(self) -> None:
        self._known: Dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        known = self.__dict__.get("_known")
        if known is not None and name in known:
            return known[name]
        from django.conf import settings as django_settings

        if name not in DEFAULTS:
            return getattr(django_settings, name)
        value = getattr(django_settings, name, DEFAULTS[name])
        if known is not None:
            _listen_for_changes()
            known[name] = value
        return value

    def forget(self, **_kwargs: Any) -> None:
        """Drop the kept values (a ``setting_changed`` receiver)."""
        self._known.clear()

    def is_set(self, name: str) -> bool:
        """Whether the project defines ``name`` itself (rather than relying on the default)."""
        from django.conf import settings as django_settings

        return hasattr(django_settings, name)


settings = LazySettings()

_listening: list = []


def _listen_for_changes() -> None:
    if _listening:
        return
    from django.core.signals import setting_changed

    setting_changed.connect(settings.forget, dispatch_uid="pipeline.conf.settings")
    _listening.append(True)
