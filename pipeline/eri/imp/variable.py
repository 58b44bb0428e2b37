"""The compute (lazy) variable wrapper of the Django runtime."""

from bamboo_engine.plugin import LazyVariableAdapter


class VariableWrapper(LazyVariableAdapter):
    """Builds the registered ``LazyVariable`` class and asks its ``get_value()``.

    As in the in-memory runtime, an error of ``get_value()`` propagates and fails the node that needs
    the variable; ``VARIABLE_SPECIFIC_EXCEPTIONS`` and the raw-value fallback only apply to direct
    ``LazyVariable.get()`` callers.
    """
