"""BPMN drawn elsewhere, the typed errors of import and export, and the command line (docs/bpmn.md)."""

import json

import pytest

from bamboo_engine.builder.bpmn import BpmnExportError, BpmnImportError, bpmn_to_tree, tree_to_bpmn
from bamboo_engine.builder.bpmn.__main__ import main
from bamboo_engine.exceptions import EngineException
from bamboo_engine.validator import validate_and_process_pipeline
from tests import trees
from tests.bpmn_support import assert_valid_bpmn

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn2:definitions xmlns:bpmn2="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:b="urn:bamboo-engine:bpmn:1"'
    ' id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">\n'
)


def _document(body: str, extra_root: str = "") -> str:
    process = f'<bpmn2:process id="Process_1" isExecutable="false">{body}</bpmn2:process>'
    return f"{_HEAD}{process}{extra_root}</bpmn2:definitions>"


def _task(task_id: str, code: str = "echo") -> str:
    return (
        f'<bpmn2:serviceTask id="{task_id}" name="{task_id}"><bpmn2:extensionElements>'
        f'<b:component code="{code}" version="1.0"/></bpmn2:extensionElements></bpmn2:serviceTask>'
    )


def _flow(flow_id: str, source: str, target: str, condition: str = "") -> str:
    expression = ""
    if condition:
        expression = '<bpmn2:conditionExpression xsi:type="bpmn2:tFormalExpression">'
        expression += f"{condition}</bpmn2:conditionExpression>"
    flow = f'<bpmn2:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
    return f"{flow}{expression}</bpmn2:sequenceFlow>"


def _with_node_marker(tag: str, element_id: str, marker: str) -> str:
    """``<bpmn2:tag id=...>`` carrying ``marker`` in its extension elements."""
    extension = f"<bpmn2:extensionElements>{marker}</bpmn2:extensionElements>"
    return f'<bpmn2:{tag} id="{element_id}">{extension}</bpmn2:{tag}>'


# A process as a modeler saves it: another prefix, no bamboo:node payloads, no incoming/outgoing lists,
# a diagram section, an annotation.
_MODELER_BODY = (
    '<bpmn2:startEvent id="Start"/>'
    + _task("Check", "disk_check")
    + '<bpmn2:exclusiveGateway id="Full" default="F_no"/>'
    + _task("Alert", "notify")
    + _task("Noop", "noop")
    + '<bpmn2:exclusiveGateway id="Join"/>'
    + '<bpmn2:endEvent id="End"/>'
    + '<bpmn2:textAnnotation id="Note"><bpmn2:text>checks the disk</bpmn2:text></bpmn2:textAnnotation>'
    + _flow("F1", "Start", "Check")
    + _flow("F2", "Check", "Full")
    + _flow("F_yes", "Full", "Alert", "${usage} &gt;= 90")
    + _flow("F_no", "Full", "Noop", "${usage} &lt; 90")
    + _flow("F3", "Alert", "Join")
    + _flow("F4", "Noop", "Join")
    + _flow("F5", "Join", "End")
)
_MODELER_DIAGRAM = (
    '<bpmndi:BPMNDiagram id="D1"><bpmndi:BPMNPlane id="P1" bpmnElement="Process_1">'
    '<bpmndi:BPMNShape id="Start_di" bpmnElement="Start"><dc:Bounds x="1" y="2" width="36" height="36"/>'
    "</bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram>"
)


def test_a_modeler_drawn_process_imports_as_a_runnable_tree():
    tree = bpmn_to_tree(_document(_MODELER_BODY, _MODELER_DIAGRAM))
    assert tree["id"] == "Process_1"
    assert tree["data"] == {"inputs": {}, "outputs": []}
    check = tree["activities"]["Check"]
    assert check == {
        "id": "Check",
        "name": "Check",
        "type": "ServiceActivity",
        "incoming": ["F1"],
        "outgoing": "F2",
        "component": {"code": "disk_check", "version": "1.0", "inputs": {}},
        "error_ignorable": False,
        "timeout": None,
        "skippable": True,
        "retryable": True,
        "optional": False,
    }
    full = tree["gateways"]["Full"]
    assert full["type"] == "ExclusiveGateway" and full["outgoing"] == ["F_yes", "F_no"]
    assert full["conditions"] == {
        "F_yes": {"evaluate": "${usage} >= 90"},
        "F_no": {"evaluate": "${usage} < 90"},
    }
    assert full["default_condition"] == {"flow_id": "F_no"}
    join = tree["gateways"]["Join"]
    assert join["type"] == "ConvergeGateway" and join["incoming"] == ["F3", "F4"] and join["outgoing"] == "F5"
    assert tree["start_event"]["incoming"] == "" and tree["end_event"]["incoming"] == ["F5"]
    assert tree["flows"]["F_yes"] == {"id": "F_yes", "source": "Full", "target": "Alert", "is_default": False}
    validate_and_process_pipeline(tree)
    assert tree["gateways"]["Full"]["converge_gateway_id"] == "Join"


def test_a_modeler_drawn_process_survives_a_second_round_trip():
    tree = bpmn_to_tree(_document(_MODELER_BODY))
    document = tree_to_bpmn(tree)
    assert_valid_bpmn(document)
    assert bpmn_to_tree(document) == tree


@pytest.mark.parametrize(
    "document, element, reason",
    [
        ("not xml", "document", "not well-formed"),
        ('<definitions xmlns="urn:other"/>', "definitions", "not bpmn:definitions"),
        (_document(_MODELER_BODY + '<bpmn2:userTask id="Ask"/>'), "Ask", "unsupported element userTask"),
        (
            _document(
                _MODELER_BODY.replace(
                    '<bpmn2:startEvent id="Start"/>',
                    '<bpmn2:startEvent id="Start"><bpmn2:timerEventDefinition/></bpmn2:startEvent>',
                )
            ),
            "Start",
            "unsupported timerEventDefinition",
        ),
        (
            _document(_MODELER_BODY + _flow("F9", "Check", "Nowhere")),
            "F9",
            "dangling flow: targetRef 'Nowhere'",
        ),
        (_document(_MODELER_BODY + _flow("F8", "Ghost", "End")), "F8", "dangling flow: sourceRef 'Ghost'"),
        (
            _document(
                _MODELER_BODY.replace(
                    '<bpmn2:endEvent id="End"/>',
                    '<bpmn2:endEvent id="End"><bpmn2:incoming>F7</bpmn2:incoming></bpmn2:endEvent>',
                )
            ),
            "End",
            "incoming 'F7'",
        ),
        (_document(_MODELER_BODY + '<bpmn2:startEvent id="Start2"/>'), "Start2", "a second startEvent"),
        (_document(_MODELER_BODY + _task("Noop")), "Noop", "used by more than one element"),
        (
            _document(
                _MODELER_BODY.replace('<bpmn2:endEvent id="End"/>', "").replace(
                    _flow("F5", "Join", "End"), ""
                )
            ),
            "Process_1",
            "no end event",
        ),
        (
            _document(_MODELER_BODY.replace(_task("Noop", "noop"), '<bpmn2:serviceTask id="Noop"/>')),
            "Noop",
            "without a bamboo:component",
        ),
        (
            _document(_MODELER_BODY, '<bpmn2:collaboration id="Collab"/>'),
            "Collab",
            "unsupported element collaboration",
        ),
        (
            _document(_MODELER_BODY + _flow("F6", "Check", "End", "1 == 1")),
            "F6",
            "does not leave an exclusive or inclusive",
        ),
        (_document(_MODELER_BODY.replace('default="F_no"', 'default="F2"')), "Full", "default flow 'F2'"),
        (
            _document(
                _MODELER_BODY.replace(
                    '<bpmn2:startEvent id="Start"/>',
                    _with_node_marker("startEvent", "Start", '<b:node type="EmptyStartEvent">{oops</b:node>'),
                )
            ),
            "Start",
            "not JSON",
        ),
        (
            _document(
                _MODELER_BODY.replace(
                    '<bpmn2:exclusiveGateway id="Join"/>',
                    _with_node_marker("exclusiveGateway", "Join", '<b:node type="ParallelGateway"/>'),
                )
            ),
            "Join",
            "cannot be a exclusiveGateway",
        ),
        (
            _document(
                _MODELER_BODY.replace(
                    '<bpmn2:startEvent id="Start"/>',
                    '<bpmn2:subProcess id="Sub" triggeredByEvent="true"/><bpmn2:startEvent id="Start"/>',
                )
            ),
            "Sub",
            "event subprocesses",
        ),
    ],
)
def test_import_errors_name_the_element(document, element, reason):
    with pytest.raises(BpmnImportError, match=reason) as caught:
        bpmn_to_tree(document)
    assert caught.value.element == element
    assert isinstance(caught.value, EngineException)


def test_two_processes_are_rejected():
    document = _document(_MODELER_BODY, '<bpmn2:process id="Process_2"/>')
    with pytest.raises(BpmnImportError, match="exactly one bpmn:process, found 2"):
        bpmn_to_tree(document)


def test_an_unknown_node_type_cannot_be_exported():
    tree = trees.linear_pipeline(1)
    act = next(iter(tree["activities"].values()))
    act["type"] = "HumanApproval"
    with pytest.raises(BpmnExportError, match="'HumanApproval' has no BPMN counterpart") as caught:
        tree_to_bpmn(tree)
    assert caught.value.element == act["id"]


def test_a_dangling_flow_cannot_be_exported():
    tree = trees.linear_pipeline(1)
    flow = next(iter(tree["flows"].values()))
    flow["target"] = "missing"
    with pytest.raises(BpmnExportError, match="its target is not a node") as caught:
        tree_to_bpmn(tree)
    assert caught.value.element == flow["id"]


def test_an_id_used_twice_cannot_be_exported():
    tree = trees.make_tree(trees.chain("start", "a", "end"))
    tree["flows"]["start->a"]["id"] = "start->a"
    tree["flows"]["a"] = tree["flows"].pop("a->end")
    tree["activities"]["a"]["outgoing"] = "a"
    tree["flows"]["a"]["id"] = "a"
    tree["end_event"]["incoming"] = ["a"]
    with pytest.raises(BpmnExportError, match="used by more than one element") as caught:
        tree_to_bpmn(tree)
    assert caught.value.element == "a"


def test_a_value_that_is_not_json_cannot_be_exported():
    tree = trees.linear_pipeline(1)
    act = next(iter(tree["activities"].values()))
    act["component"]["inputs"]["when"] = {"type": "plain", "value": object()}
    with pytest.raises(BpmnExportError, match="cannot be written as JSON") as caught:
        tree_to_bpmn(tree)
    assert caught.value.element == act["id"]


def test_command_line_round_trip(tmp_path, capsys):
    tree = trees.normal_pipeline()
    tree_file, bpmn_file = tmp_path / "tree.json", tmp_path / "tree.bpmn"
    tree_file.write_text(json.dumps(tree))
    assert main(["export", str(tree_file), "-o", str(bpmn_file)]) == 0
    assert_valid_bpmn(bpmn_file.read_text())
    assert main(["import", str(bpmn_file)]) == 0
    assert json.loads(capsys.readouterr().out) == tree


def test_command_line_reports_errors(tmp_path, capsys):
    bad = tmp_path / "bad.bpmn"
    bad.write_text(_document(_MODELER_BODY + '<bpmn2:userTask id="Ask"/>'))
    assert main(["import", str(bad)]) == 1
    assert "error: Ask: unsupported element userTask" in capsys.readouterr().err


def test_text_xml_cannot_carry_is_refused():
    tree = trees.linear_pipeline(1)
    act = next(iter(tree["activities"].values()))
    act["name"] = "bell\x07"
    with pytest.raises(BpmnExportError, match="XML 1.0 cannot carry") as caught:
        tree_to_bpmn(tree)
    assert caught.value.element == act["id"]


def test_bytes_in_the_declared_encoding_are_read():
    tree = trees.normal_pipeline()
    tree["activities"][next(iter(tree["activities"]))]["name"] = "检查磁盘"
    assert bpmn_to_tree(tree_to_bpmn(tree).encode("utf-8")) == tree
