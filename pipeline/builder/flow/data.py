"""Compatibility re-export of ``bamboo_engine.builder.flow.data`` under ``pipeline.builder.flow.data``."""

from bamboo_engine.builder.flow.data import *  # noqa: F403
