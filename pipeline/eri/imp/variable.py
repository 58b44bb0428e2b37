"""The compute (lazy) variable wrapper of the Django runtime."""

from typing import Any

from bamboo_engine.plugin import LazyVariableAdapter
from pipeline.conf import settings


class VariableWrapper(LazyVariableAdapter):
    """Builds the registered ``LazyVariable`` class and asks it for its value.

    Errors of a type listed in the ``VARIABLE_SPECIFIC_EXCEPTIONS`` setting render as ``"Error: <msg>"``;
    other errors yield the raw value (quirk kept from upstream, implemented by ``LazyVariable.get``).
    """

    def get(self) -> Any:
        variable = self.variable_cls(
            name=self.key, value=self.value.get(), context={}, pipeline_data=self.pipeline_data
        )
        variable.inner_loop = self.inner_loop
        # ``pipeline.core.data.var.LazyVariable`` reads the setting itself (a property); plain engine
        # plugin variables get it from here.
        declared = getattr(type(variable), "specific_exceptions", ())
        specific = tuple(settings.VARIABLE_SPECIFIC_EXCEPTIONS or ())
        if specific and not isinstance(declared, property):
            variable.specific_exceptions = tuple(declared) + specific
        return variable.get()
