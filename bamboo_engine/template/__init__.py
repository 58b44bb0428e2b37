"""Template rendering of ``${...}`` fragments with a sandboxed expression evaluator."""

from bamboo_engine.template.template import Template

__all__ = ["Template"]
