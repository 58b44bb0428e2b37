"""Per-runtime engine configuration."""

from abc import ABC, abstractmethod
from typing import Any

from bamboo_engine.eri.interfaces._export import public


@public
class ConfigMixin(ABC):
    """Gives the engine the runtime's value of a setting."""

    @abstractmethod
    def get_config(self, name) -> Any:
        """The value of ``name``, one of ``bamboo_engine.utils.constants.RUNTIME_ALLOWED_CONFIG``."""
