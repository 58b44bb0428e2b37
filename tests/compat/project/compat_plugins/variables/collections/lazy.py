"""Lazy variables of the project (registered by subclassing ``LazyVariable``)."""

from pipeline.core.data.var import LazyVariable


class RaisingVariable(LazyVariable):
    """A variable whose backing service is down: ``get_value()`` raises."""

    code = "compat_raising"
    name = "Raising variable"
    type = "general"
    tag = "compat_raising.value"
    form = ""

    def get_value(self):
        raise ConnectionError(f"variable source unreachable for {self.value!r}")


class UpperVariable(LazyVariable):
    """A working lazy variable: its value in upper case."""

    code = "compat_upper"
    name = "Upper variable"
    type = "general"
    tag = "compat_upper.value"
    form = ""

    def get_value(self):
        return str(self.value).upper()
