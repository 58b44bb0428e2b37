"""``VariableLibrary``: lazy variable classes by code."""

from typing import Dict, Optional

from pipeline.exceptions import PipelineException

__all__ = ["VariableLibrary", "VariableNotExistError"]


class VariableNotExistError(PipelineException, KeyError):
    """No lazy variable class is registered under the code."""


class VariableLibrary:
    """Registry filled by :class:`pipeline.core.data.var.RegisterVariableMeta` at class creation."""

    variables: Dict[str, type] = {}

    @classmethod
    def get_var_class(cls, code) -> Optional[type]:
        """The lazy variable class registered under ``code``, or None."""
        return cls.variables.get(code)

    @classmethod
    def get_var(cls, code, name, data, context=None, pipeline_data=None):
        """A new instance of the class registered under ``code``.

        Args:
            code: the variable's ``code`` (the tree's ``custom_type``).
            name: the context key (``${name}``).
            data: the source value (``self.value`` of the variable).
            context: values the source value is rendered against (``{key: value}``).
            pipeline_data: root pipeline data inputs.

        Raises:
            VariableNotExistError: nothing is registered under ``code``.
        """
        var_cls = cls.get_var_class(code)
        if var_cls is None:
            raise VariableNotExistError(
                f"lazy variable {code!r} (for {name}) is not registered (known: {sorted(cls.variables)})"
            )
        return var_cls(name, data, context or {}, pipeline_data or {})

    @classmethod
    def codes(cls):
        """Codes of every registered lazy variable."""
        return list(cls.variables)
