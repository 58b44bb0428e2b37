"""Typed errors of the BPMN export and import; each names the element it is about."""

from bamboo_engine.exceptions import EngineException


class BpmnError(EngineException):
    """A pipeline tree cannot be written as BPMN, or a BPMN document cannot be read as a tree.

    Attributes:
        element: the id (or, without one, the tag) of the node, flow or XML element at fault.
        reason: what is wrong with it.
    """

    def __init__(self, element: str, reason: str):
        self.element = element
        self.reason = reason
        super().__init__(f"{element}: {reason}")


class BpmnExportError(BpmnError):
    """The tree holds something the BPMN export cannot express (an unknown node type, a dangling flow,
    an id used twice, a value that is not JSON)."""


class BpmnImportError(BpmnError):
    """The document holds an element outside the supported subset, a flow whose end is missing, or a
    process that is not a valid pipeline shape (not exactly one start and one end event)."""
