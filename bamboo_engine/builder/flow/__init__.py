"""Builder element and data classes."""

from bamboo_engine.builder.flow.activity import *  # noqa: F403
from bamboo_engine.builder.flow.data import *  # noqa: F403
from bamboo_engine.builder.flow.event import *  # noqa: F403
from bamboo_engine.builder.flow.gateway import *  # noqa: F403
