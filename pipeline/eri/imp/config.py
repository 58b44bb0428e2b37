"""ConfigMixin: engine settings the Django project may override."""

from bamboo_engine.config import Settings
from bamboo_engine.exceptions import ValueError  # noqa: A004 - the engine's ValueError
from bamboo_engine.utils.constants import RUNTIME_ALLOWED_CONFIG
from pipeline.conf import settings


class ConfigMixin:
    """``get_config(name)``: the Django setting if truthy, else ``bamboo_engine.config.Settings.<name>``."""

    def get_config(self, name):
        if name not in RUNTIME_ALLOWED_CONFIG:
            raise ValueError(f"config {name!r} is not allowed, choose one of {RUNTIME_ALLOWED_CONFIG}")
        value = getattr(settings, name, None)
        return value if value else getattr(Settings, name)
