"""One lazy accessor for the Django settings the runtime reads.

``from pipeline.conf import settings`` then ``settings.LOG_PERSISTENT_DAYS``: the value of the Django
setting if the project defines it, else its default (:mod:`pipeline.conf.default_settings`). Nothing
is read at import time, so modules can import this at the top and settings overridden in tests
(``override_settings``) are honoured.
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

    def __getattr__(self, name: str) -> Any:
        from django.conf import settings as django_settings

        if name in DEFAULTS:
            return getattr(django_settings, name, DEFAULTS[name])
        return getattr(django_settings, name)

    def is_set(self, name: str) -> bool:
        """Whether the project defines ``name`` itself (rather than relying on the default)."""
        from django.conf import settings as django_settings

        return hasattr(django_settings, name)


settings = LazySettings()
