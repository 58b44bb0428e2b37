"""Config rule: which settings a runtime answers, and when the engine's default applies."""

import abc
from typing import Any

from bamboo_engine.config import Settings
from bamboo_engine.eri.interfaces.config import ConfigMixin
from bamboo_engine.exceptions import ValueError  # noqa: A004 - the engine's ValueError
from bamboo_engine.utils.constants import RUNTIME_ALLOWED_CONFIG


class ConfigRules(ConfigMixin):
    """``get_config``: the runtime's value when it is set and true, else ``bamboo_engine.config.Settings``'s
    (as upstream: a false value such as ``0`` or ``False`` means "not configured")."""

    @abc.abstractmethod
    def _configured_value(self, name: str) -> Any:
        """The value the runtime was configured with for ``name``, or None."""

    def get_config(self, name) -> Any:
        if name not in RUNTIME_ALLOWED_CONFIG:
            raise ValueError(f"config {name!r} is not allowed, choose one of {RUNTIME_ALLOWED_CONFIG}")
        value = self._configured_value(name)
        return value if value else getattr(Settings, name)
