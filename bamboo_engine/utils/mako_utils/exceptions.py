"""The error :func:`bamboo_engine.utils.mako_utils.checker.check_mako_template_safety` raises."""

from bamboo_engine.exceptions import EngineException

__all__ = ["ForbiddenMakoTemplateException"]


class ForbiddenMakoTemplateException(EngineException):
    """A template contains a construct the sandbox refuses (the message says which)."""
