"""``hydrate_data``: the values of a ``{key: value-or-Variable}`` dict, each variable resolved."""

from typing import Any, Dict

from bamboo_engine.plugin.variable import Variable

__all__ = ["hydrate_data"]


def hydrate_data(data: Dict[str, Any]) -> Dict[str, Any]:
    """A new dict: each :class:`~pipeline.core.data.var.Variable` replaced by its ``get()``."""
    return {key: value.get() if isinstance(value, Variable) else value for key, value in data.items()}
