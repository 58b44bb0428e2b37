"""Round-trip and schema checks of the BPMN export, shared by the BPMN tests and the contract harness."""

import copy
import functools
from pathlib import Path

from lxml import etree

from bamboo_engine.builder.bpmn import bpmn_to_tree, tree_to_bpmn

SCHEMA_DIR = Path(__file__).parent / "bpmn_schema"


@functools.lru_cache(maxsize=1)
def bpmn_schema() -> etree.XMLSchema:
    """The OMG BPMN 2.0 schema (BPMN20.xsd includes the semantic model and imports DI, DC and DI)."""
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "BPMN20.xsd")))


def assert_valid_bpmn(document: str) -> None:
    schema = bpmn_schema()
    if not schema.validate(etree.fromstring(document.encode("utf-8"))):
        raise AssertionError(f"BPMN does not validate against BPMN20.xsd: {schema.error_log}")


def assert_round_trip(tree: dict) -> str:
    """Export ``tree``, validate the XML against the XSD, import it back and compare; returns the XML."""
    original = copy.deepcopy(tree)
    document = tree_to_bpmn(tree)
    assert tree == original, "the export mutated the tree"
    assert_valid_bpmn(document)
    back = bpmn_to_tree(document)
    assert back == original, _first_difference(original, back)
    return document


def _first_difference(expected, actual, path: str = "tree") -> str:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual), key=str):
            if key not in actual or key not in expected:
                return f"{path}[{key!r}] only on one side"
            if expected[key] != actual[key]:
                return _first_difference(expected[key], actual[key], f"{path}[{key!r}]")
    return f"{path}: expected {expected!r}, got {actual!r}"
