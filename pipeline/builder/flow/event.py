"""Compatibility re-export of ``bamboo_engine.builder.flow.event`` under ``pipeline.builder.flow.event``."""

from bamboo_engine.builder.flow.event import *  # noqa: F403
