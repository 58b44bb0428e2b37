"""Exceptions of the Django side (``pipeline.*``), under the names projects import from here.

Two roots, as projects expect them: :class:`PipelineException` and :class:`PipelineError` (settings and
tags). ``PipelineError`` derives from ``PipelineException`` here, so one ``except PipelineException``
catches everything this package raises. The tree validation errors (``ConnectionValidateError``,
``ConvergeMatchError``, ``StreamValidateError``, ``IsolateNodeError``) are the engine's own classes
(``bamboo_engine.exceptions``), so catching them by these names catches what the validator raises.
"""

from bamboo_engine.exceptions import (
    ConnectionValidateError,
    ConvergeMatchError,
    IsolateNodeError,
    StreamValidateError,
)

__all__ = [
    "AttributeMissingError",
    "AttributeValidationError",
    "ComponentConflictError",
    "ComponentDataFormatException",
    "ComponentDataLackException",
    "ComponentException",
    "ComponentNotExistException",
    "ConditionExhaustedException",
    "ConfigValidationError",
    "ConnectionValidateError",
    "ConstantException",
    "ConstantNotExistException",
    "ConstantReferenceException",
    "ConstantSyntaxException",
    "ConstantTypeException",
    "ContextError",
    "ConvergeMatchError",
    "CycleErrorException",
    "DataAttrException",
    "DataException",
    "DataInitException",
    "DataTypeErrorException",
    "EvaluationException",
    "FlowTypeError",
    "InsufficientVariableError",
    "InvalidCrontabException",
    "InvalidOperationException",
    "IsolateNodeError",
    "NodeNotExistException",
    "ParserException",
    "PipelineError",
    "PipelineException",
    "ReferenceNotExistError",
    "SourceKeyException",
    "StreamValidateError",
    "SubprocessExpiredError",
    "SubprocessRefError",
    "TagError",
    "TemplateImportError",
    "VariableHydrateException",
]


class PipelineException(Exception):
    """Base of the errors raised by the ``pipeline`` package."""


class FlowTypeError(PipelineException):
    """A flow element has a type this package does not know."""


class InvalidOperationException(PipelineException):
    """The operation is refused in the object's current state (e.g. changing an enabled periodic task)."""


class ConditionExhaustedException(PipelineException):
    """No condition of a gateway holds."""


class EvaluationException(PipelineException):
    """A gateway condition could not be evaluated."""


class NodeNotExistException(PipelineException):
    """A node id names no node of the tree."""


class SourceKeyException(NodeNotExistException):
    """An output reference names a node or key that does not exist."""


class VariableHydrateException(PipelineException):
    """A variable could not produce its value."""


class ParserException(PipelineException):
    """A tree could not be turned into runnable form."""


class SubprocessRefError(PipelineException):
    """A subprocess refers to a template that does not exist."""


class TemplateImportError(PipelineException):
    """A template could not be imported."""


class SubprocessExpiredError(PipelineException):
    """A subprocess refers to an outdated version of its template."""


class DataException(PipelineException):
    """Invalid data in a tree or a node."""


class DataInitException(DataException):
    """Data could not be initialised."""


class DataAttrException(DataException):
    """Data lacks an attribute it needs."""


class DataTypeErrorException(DataException):
    """Data has the wrong type."""


class CycleErrorException(DataException):
    """References form a cycle."""


class ComponentException(PipelineException):
    """Base of the component errors."""


class ComponentDataFormatException(ComponentException):
    """A component's data is not in the expected format."""


class ComponentNotExistException(ComponentException):
    """No component is registered under the requested code and version."""


class ComponentDataLackException(ComponentDataFormatException):
    """A component's data lacks a required item."""


class ComponentConflictError(PipelineException):
    """Two components of the project declare the same code and version (raised when the second registers)."""


class PipelineError(PipelineException):
    """Base of the configuration and tag errors."""


class TagError(PipelineError):
    """A form tag is invalid."""


class AttributeMissingError(TagError):
    """A form tag lacks an attribute."""


class AttributeValidationError(TagError):
    """A form tag attribute has an invalid value."""


class ConfigValidationError(PipelineError):
    """A Django setting read by the runtime has an invalid value (raised at app ready)."""


class ConstantException(PipelineException):
    """Base of the errors about a tree's constants."""


class ConstantNotExistException(ConstantException):
    """A referenced constant does not exist."""


class ConstantReferenceException(ConstantException):
    """A constant's references are invalid."""


class ConstantTypeException(ConstantException):
    """A constant has the wrong type."""


class ConstantSyntaxException(ConstantException):
    """A constant's expression does not parse."""


class ContextError(PipelineError):
    """Base of the context errors."""


class ReferenceNotExistError(ContextError):
    """A referenced context key does not exist."""


class InsufficientVariableError(ContextError):
    """The context lacks variables an expression needs."""


class InvalidCrontabException(PipelineException):
    """A periodic task's cron is not a valid crontab (``pipeline.contrib.periodic_task``)."""
