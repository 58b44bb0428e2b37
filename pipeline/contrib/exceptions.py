"""Errors of the contrib apps, under the names upstream code imports from here."""

from pipeline.contrib.plugin_execute.exceptions import PluginExecuteException
from pipeline.exceptions import PipelineException

__all__ = ["PluginExecuteException", "RollBackException", "UpdatePipelineContextException"]


class RollBackException(PipelineException):
    """A rollback, its reservation, cancel or retry was refused (``pipeline.contrib.rollback.api``)."""


class UpdatePipelineContextException(PipelineException):
    """Changing a node's outputs or the pipeline context was refused."""
