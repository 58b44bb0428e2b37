"""Compatibility re-export of ``bamboo_engine.builder.flow.activity`` (same names)."""

from bamboo_engine.builder.flow.activity import *  # noqa: F403
