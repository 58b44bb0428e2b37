"""ConfigMixin: runtime-overridable engine settings, falling back to ``bamboo_engine.config.Settings``."""

from typing import Any, Dict

from bamboo_engine.config import Settings
from bamboo_engine.exceptions import ValueError  # noqa: A004 - the engine's ValueError
from bamboo_engine.utils.constants import RUNTIME_ALLOWED_CONFIG


class ConfigMixin:
    config_overrides: Dict[str, Any]

    def get_config(self, name):
        if name not in RUNTIME_ALLOWED_CONFIG:
            raise ValueError(f"config {name!r} is not allowed, choose one of {RUNTIME_ALLOWED_CONFIG}")
        value = self.config_overrides.get(name)
        if value is not None:
            return value
        return getattr(Settings, name)
