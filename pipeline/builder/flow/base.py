"""Compatibility re-export of ``bamboo_engine.builder.flow.base`` under ``pipeline.builder.flow.base``."""

from bamboo_engine.builder.flow.base import *  # noqa: F403
