"""Context variables.

Plugin authors subclass :class:`LazyVariable`, set ``code`` and implement ``get_value()``; the
:class:`RegisterVariableMeta` metaclass registers the class in :class:`VariableLibrary` when the class
is created (in memory only: :mod:`pipeline.variable_framework` syncs the ``VariableModel`` table later).
"""

import logging
from typing import Tuple, Type

from bamboo_engine.plugin import variable as plugin_variable
from pipeline.core.data.library import VariableLibrary
from pipeline.core.signals import pre_variable_register

__all__ = ["LazyVariable", "PlainVariable", "RegisterVariableMeta", "SpliceVariable", "Variable"]

logger = logging.getLogger(__name__)


class Variable(plugin_variable.Variable):
    """A named value: ``Variable(name, value)``."""


class PlainVariable(plugin_variable.PlainVariable, Variable):
    """A value used as is."""


class SpliceVariable(plugin_variable.SpliceVariable, Variable):
    """A template rendered against ``context`` on ``get()``: ``SpliceVariable(name, value, context)``."""


class RegisterVariableMeta(type):
    """Registers every class that defines a ``code`` into ``VariableLibrary.variables[code]``.

    Classes without their own ``code`` (abstract bases) are not registered; a subclass that wants to
    replace a registered variable declares the same ``code`` again (the last one wins).
    """

    def __new__(mcs, name, bases, attrs, **kwargs):
        new_cls = super().__new__(mcs, name, bases, attrs, **kwargs)
        code = attrs.get("code")
        if code:
            pre_variable_register.send(sender=LazyVariable, variable_cls=new_cls)
            VariableLibrary.variables[code] = new_cls
        return new_cls


def _configured_specific_exceptions() -> Tuple[Type[BaseException], ...]:
    from django.conf import settings as django_settings

    if not django_settings.configured:
        return ()
    from pipeline.conf import settings

    return tuple(settings.VARIABLE_SPECIFIC_EXCEPTIONS or ())


class LazyVariable(plugin_variable.LazyVariable, SpliceVariable, metaclass=RegisterVariableMeta):
    """A variable computed when first used: ``LazyVariable(name, value, context, pipeline_data)``.

    Implement ``get_value()`` with ``self.value`` (the splice-rendered source value),
    ``self.pipeline_data`` (root pipeline data inputs) and ``self.inner_loop``. In a pipeline run an
    error of ``get_value()`` fails the node that needs the variable. A direct ``get()`` call instead
    renders errors of a type in the ``VARIABLE_SPECIFIC_EXCEPTIONS`` setting as ``"Error: <message>"``
    and yields the raw value for any other error.

    Class attributes: ``code`` (required to register), ``name``, ``form``, ``type`` (``"general"``,
    ``"meta"``, ...), ``tag``, ``meta_tag``.
    """

    @property
    def specific_exceptions(self) -> Tuple[Type[BaseException], ...]:  # type: ignore[override]
        # Read at use time (not import time) so override_settings and late configuration apply.
        return _configured_specific_exceptions()
