"""ConfigMixin: the values given to ``InMemoryRuntime(config=...)`` under the shared config rule."""

from typing import Any, Dict

from bamboo_engine.eri.rules.config import ConfigRules


class ConfigMixin(ConfigRules):
    config_overrides: Dict[str, Any]

    def _configured_value(self, name: str) -> Any:
        return self.config_overrides.get(name)
