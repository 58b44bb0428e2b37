"""Exceptions of the Django side (``pipeline.*``)."""


class PipelineException(Exception):
    """Base of the errors raised by the ``pipeline`` package."""


class ComponentNotExistException(PipelineException):
    """No component is registered under the requested code and version."""


class ConfigValidationError(PipelineException):
    """A Django setting read by the runtime has an invalid value (raised at app ready)."""


class ComponentConflictError(PipelineException):
    """Two components of the project declare the same code and version (raised when the second registers)."""


class InvalidCrontabException(PipelineException):
    """A periodic task's cron is not a valid crontab (``pipeline.contrib.periodic_task``)."""


class InvalidOperationException(PipelineException):
    """The operation is refused in the object's current state (e.g. changing an enabled periodic task)."""
