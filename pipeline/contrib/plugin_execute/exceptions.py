"""Errors of ``pipeline.contrib.plugin_execute``; the api turns them into ``result=False`` answers."""

from pipeline.exceptions import PipelineException


class PluginExecuteException(PipelineException):
    """Base of the refusals of the plugin_execute api (the message says what and why)."""


class TaskNotFound(PluginExecuteException):
    """No ``PluginExecuteTask`` has the given id."""


class InvalidTaskArgument(PluginExecuteException):
    """An argument of an api call has the wrong type or cannot be stored as JSON."""


class StateRefused(PluginExecuteException):
    """The task's state (or service type) does not allow the requested operation."""
