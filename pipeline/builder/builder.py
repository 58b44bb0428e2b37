"""Compatibility re-export of ``bamboo_engine.builder.builder`` under ``pipeline.builder.builder``."""

from bamboo_engine.builder.builder import *  # noqa: F403
