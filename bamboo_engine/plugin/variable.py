"""Context variables for plugin authors and the compute-variable ERI adapter."""

import logging
from typing import Any, Optional, Tuple, Type

from bamboo_engine.eri.interfaces import Variable as ERIVariable

logger = logging.getLogger("bamboo_engine.plugin")


class Variable:
    """A named value."""

    def __init__(self, name, value):
        self.name = name
        self.value = value

    def get(self) -> Any:
        return self.value


class PlainVariable(Variable):
    """A value used as is."""


class SpliceVariable(Variable):
    """A template value rendered against ``context`` (a ``{name: value}`` dict) on :meth:`get`."""

    def __init__(self, name, value, context):
        super().__init__(name, value)
        self.context = context

    def get(self) -> Any:
        if not self.context:
            return self.value
        from bamboo_engine.template import Template

        return Template(self.value).render(self.context)


class LazyVariable(SpliceVariable):
    """A variable computed when first used: implement :meth:`get_value`.

    ``self.value`` is the splice-rendered source value, ``self.pipeline_data`` the root pipeline
    data inputs and ``self.inner_loop`` the inner loop of the node using it.

    Class attributes:
        code: the code trees use as ``custom_type``.
        specific_exceptions: for direct callers of :meth:`get`: errors rendered as
            ``"Error: <message>"`` (``pipeline.core.data.var.LazyVariable`` reads the
            ``VARIABLE_SPECIFIC_EXCEPTIONS`` setting); any other error yields the raw value (quirk).

    A pipeline run does not go through :meth:`get`: the engine asks :meth:`get_value` (see
    :class:`LazyVariableAdapter`), so an error there fails the node that needs the variable.
    """

    code: Optional[str] = None
    name: Any = None
    form: Any = None
    type = "general"
    tag: Any = None
    meta_tag: Any = None
    specific_exceptions: Tuple[Type[BaseException], ...] = ()

    def __init__(self, name, value, context, pipeline_data):
        super().__init__(name, value, context)
        self.pipeline_data = pipeline_data
        self.inner_loop = -1

    def get(self) -> Any:
        """The value for a direct caller: errors give ``"Error: ..."`` or the raw value (see above)."""
        try:
            return self.get_value()
        except self.specific_exceptions as err:
            return f"Error: {err}"
        except Exception:
            logger.exception("lazy variable %s(%s) get_value failed", type(self).__name__, self.name)
            return self.value

    def get_value(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement get_value()")


class LazyVariableAdapter(ERIVariable):
    """The ERI compute variable: renders its source value, then builds and asks the plugin variable.

    It calls ``get_value()`` itself, without :meth:`LazyVariable.get`'s fallbacks: an error of the
    variable propagates, so the engine fails the node whose inputs (or params, conditions, outputs)
    need it (``"inputs hydrate failed(<error>), ..."``), as upstream does, instead of running the node
    with the unresolved source value.

    Args:
        variable_cls: a :class:`LazyVariable` subclass.
        key: the context key (``${name}``).
        value: the ERI variable giving the splice-rendered source value.
        pipeline_data: root pipeline data inputs.
        inner_loop: the inner loop of the node being rendered.
    """

    def __init__(
        self,
        variable_cls: Type[LazyVariable],
        key: str,
        value: ERIVariable,
        pipeline_data: dict,
        inner_loop: int = -1,
    ):
        self.variable_cls = variable_cls
        self.key = key
        self.value = value
        self.pipeline_data = pipeline_data
        self.inner_loop = inner_loop

    def get(self) -> Any:
        variable = self.variable_cls(
            name=self.key, value=self.value.get(), context={}, pipeline_data=self.pipeline_data
        )
        variable.inner_loop = self.inner_loop
        return variable.get_value()
