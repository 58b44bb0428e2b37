"""Compatibility re-export of ``bamboo_engine.builder.flow.gateway`` (same names)."""

from bamboo_engine.builder.flow.gateway import *  # noqa: F403
from bamboo_engine.builder.flow.gateway import ConditionGateway  # noqa: F401
