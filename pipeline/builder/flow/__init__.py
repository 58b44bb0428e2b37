"""Compatibility re-export of ``bamboo_engine.builder.flow`` under ``pipeline.builder.flow``."""

from bamboo_engine.builder.flow import *  # noqa: F403
