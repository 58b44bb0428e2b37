"""The rollback modes and graph flags (``bamboo_engine.rollback.constants``), under upstream's names."""

from bamboo_engine.rollback.constants import ANY, END_FLAG, START_FLAG, TOKEN

__all__ = ["ANY", "END_FLAG", "START_FLAG", "TOKEN"]
