"""Base class of builder elements and the chaining API."""

from bamboo_engine.utils.string import unique_id

__all__ = ["Element"]


class Element:
    """A flow node in a builder chain.

    Args:
        id: node id; defaults to ``unique_id("e")``.
        name: display name written to the tree.
        outgoing: initial list of following elements.
    """

    def __init__(self, id=None, name=None, outgoing=None):  # noqa: A002 - upstream's published signature
        self.id = id or unique_id("e")
        self.name = name
        self.outgoing = list(outgoing) if outgoing else []

    def type(self):
        """The node ``type`` written to the tree."""
        raise NotImplementedError(f"{self.__class__.__name__} does not define a node type")

    def extend(self, element):
        """Append ``element`` to the outgoing elements and return ``element`` (to keep chaining)."""
        self.outgoing.append(element)
        return element

    def connect(self, *args):
        """Append every element to the outgoing elements and return ``self`` (to fan out)."""
        self.outgoing.extend(args)
        return self

    def converge(self, element):
        """Connect the tail of every outgoing branch to ``element`` and return ``element``."""
        for branch in self.outgoing:
            branch.tail().connect(element)
        return element

    def to(self, element):
        """Return ``element`` unchanged: re-anchors a chain expression on another element."""
        return element

    def tail(self):
        """Follow the first outgoing element until an element without outgoing elements."""
        current, seen = self, {self.id}
        while current.outgoing:
            current = current.outgoing[0]
            if current.id in seen:
                raise ValueError(f"element {current.id} is part of a cycle; it has no tail")
            seen.add(current.id)
        return current

    def __eq__(self, other):
        return isinstance(other, Element) and self.id == other.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<{self.__class__.__name__} {self.name}:{self.id}>"
