"""Random ids for pipeline trees built by hand.

``node_uniqid()`` and ``line_uniqid()`` give ids in the form the builder gives its nodes and flows (a
letter, then 32 hex digits), so they fit every id column of the runtime (33 characters).
"""

import uuid

from bamboo_engine.utils.string import unique_id

__all__ = ["uniqid", "node_uniqid", "line_uniqid"]


def uniqid() -> str:
    """32 random hex digits."""
    return uuid.uuid4().hex


def node_uniqid() -> str:
    """A node (or pipeline) id: ``"n"`` and 32 random hex digits."""
    return unique_id("n")


def line_uniqid() -> str:
    """A flow id: ``"l"`` and 32 random hex digits."""
    return unique_id("l")
