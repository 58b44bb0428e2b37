"""ConfigMixin: the Django settings under the shared config rule (``bamboo_engine.eri.rules.config``)."""

from typing import Any

from bamboo_engine.eri.rules.config import ConfigRules
from pipeline.conf import settings


class ConfigMixin(ConfigRules):
    """``get_config(name)``: the Django setting if true, else ``bamboo_engine.config.Settings.<name>``."""

    def _configured_value(self, name: str) -> Any:
        return getattr(settings, name, None)
