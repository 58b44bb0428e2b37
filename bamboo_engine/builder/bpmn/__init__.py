"""Pipeline trees as BPMN 2.0 XML, and back (docs/bpmn.md).

``tree_to_bpmn(tree)`` writes the process, its diagram laid out left to right, and the pipeline details
BPMN has no place for as ``bamboo:`` extension elements; ``bpmn_to_tree(xml)`` reads that subset back, so
``bpmn_to_tree(tree_to_bpmn(tree)) == tree`` for any tree the exporter accepts.
"""

from bamboo_engine.builder.bpmn.errors import BpmnError, BpmnExportError, BpmnImportError
from bamboo_engine.builder.bpmn.export import tree_to_bpmn
from bamboo_engine.builder.bpmn.importer import bpmn_to_tree

__all__ = ["BpmnError", "BpmnExportError", "BpmnImportError", "bpmn_to_tree", "tree_to_bpmn"]
