"""Compatibility re-export: ``from pipeline.builder import *`` gives the engine builder."""

from bamboo_engine.builder import *  # noqa: F403
from bamboo_engine.builder import __all__  # noqa: F401
