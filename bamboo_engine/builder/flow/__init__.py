"""Builder element and data classes."""

from bamboo_engine.builder.flow.activity import *  # noqa: F401,F403
from bamboo_engine.builder.flow.data import *  # noqa: F401,F403
from bamboo_engine.builder.flow.event import *  # noqa: F401,F403
from bamboo_engine.builder.flow.gateway import *  # noqa: F401,F403
