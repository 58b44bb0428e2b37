"""The plugin unit-test kit (``pipeline.component_framework.test``), tested by using it."""

import unittest
from unittest.mock import MagicMock, call

import pytest

from pipeline.component_framework.component import Component
from pipeline.component_framework.library import ComponentLibrary
from pipeline.component_framework.test import (
    Assertion,
    CallAssertion,
    ComponentTestCase,
    ComponentTestMixin,
    ExecuteAssertion,
    Patcher,
    ScheduleAssertion,
    patch_context,
)
from pipeline.core.flow.activity import Service, StaticIntervalGenerator
from tests.components import remote


class LookupService(Service):
    """Reads a remote record through ``tests.components.remote.fetch``; polls until it is ready."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(5)

    def inputs_format(self):
        return [self.InputItem(name="Key", key="key", type="string")]

    def outputs_format(self):
        return [self.OutputItem(name="Record", key="record", type="object")]

    def execute(self, data, parent_data):
        record = remote.fetch(data.get_one_of_inputs("key"))
        if record is None:
            data.set_outputs("ex_data", "record not found")
            return False
        data.set_outputs("record", record)
        return True

    def schedule(self, data, parent_data, callback_data=None):
        if remote.is_ready(data.get_one_of_outputs("record")):
            self.finish_schedule()
        return True


class LookupComponent(Component):
    name = "Lookup"
    code = "test_kit_lookup"
    bound_service = LookupService


def _run(test_case_cls):
    """Run a unittest class; returns the unittest result."""
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(test_case_cls)
    result = unittest.TestResult()
    suite.run(result)
    return result


def _kit_test(cases, component_cls=LookupComponent):
    class KitTest(unittest.TestCase, ComponentTestMixin):
        def component_cls(self):
            return component_cls

        def cases(self):
            return cases

    return KitTest


def _lookup_case(fetch_result=None, ready=(False, True), schedule_assertion="default", **overrides):
    fetch = MagicMock(name="fetch", return_value=fetch_result if fetch_result is not None else {"id": 1})
    if schedule_assertion == "default":
        schedule_assertion = [
            ScheduleAssertion(success=True, outputs={"record": {"id": 1}}, schedule_finished=False),
            ScheduleAssertion(success=True, outputs={"record": {"id": 1}}, schedule_finished=True),
        ]
    arguments = {
        "name": "found and ready on the second poll",
        "inputs": {"key": "k1"},
        "parent_data": {},
        "execute_assertion": ExecuteAssertion(success=True, outputs={"record": {"id": 1}}),
        "schedule_assertion": schedule_assertion,
        "patchers": [
            Patcher("tests.components.remote.fetch", side_effect=fetch),
            Patcher("tests.components.remote.is_ready", side_effect=list(ready)),
        ],
        "execute_call_assertion": [CallAssertion(func=fetch, calls=[call("k1")])],
    }
    arguments.update(overrides)
    return ComponentTestCase(**arguments)


def test_passing_cases_pass():
    failed_fetch = MagicMock(name="fetch", return_value=None)
    not_found = ComponentTestCase(
        name="not found",
        inputs={"key": "missing"},
        parent_data={},
        execute_assertion=ExecuteAssertion(success=False, outputs={"ex_data": "record not found"}),
        schedule_assertion=None,
        patchers=[Patcher("tests.components.remote.fetch", side_effect=failed_fetch)],
        execute_call_assertion=[CallAssertion(func=failed_fetch, calls=[call("missing")])],
    )

    result = _run(_kit_test([_lookup_case(), not_found]))

    assert result.wasSuccessful(), result.failures + result.errors


def test_patchers_are_removed_after_each_case():
    _run(_kit_test([_lookup_case()]))

    with pytest.raises(ConnectionError):
        remote.fetch("k1")


def test_wrong_outputs_fail_with_a_readable_report_naming_every_failed_case():
    wrong_outputs = _lookup_case(
        name="wrong outputs", execute_assertion=ExecuteAssertion(True, {"record": {"id": 2}})
    )
    wrong_flag = _lookup_case(
        name="wrong flag", execute_assertion=ExecuteAssertion(False, {"record": {"id": 1}})
    )

    result = _run(_kit_test([_lookup_case(), wrong_outputs, wrong_flag]))

    assert len(result.failures) == 1
    report = result.failures[0][1]
    assert "2 case(s) of LookupComponent failed" in report
    assert "- wrong outputs: " in report and "execute: outputs differ" in report and "'id': 2" in report
    assert "- wrong flag: " in report and "execute: success expected False" in report


def test_schedule_finished_mismatch_is_reported_per_round():
    case = _lookup_case(
        ready=(True,),
        schedule_assertion=ScheduleAssertion(
            success=True, outputs={"record": {"id": 1}}, schedule_finished=False
        ),
    )

    result = _run(_kit_test([case]))

    assert "schedule #1: schedule_finished expected False" in result.failures[0][1]


def test_call_assertions_report_unexpected_calls():
    never = MagicMock(name="never_called")
    never("oops")
    case = _lookup_case(schedule_call_assertion=[CallAssertion(func=never, calls=[])])

    result = _run(_kit_test([case]))

    assert "never_called should not be called" in result.failures[0][1]


def test_missing_schedule_assertion_for_a_scheduled_service_is_a_failure():
    result = _run(_kit_test([_lookup_case(schedule_assertion=None)]))

    assert "needs scheduling but the case has no schedule_assertion" in result.failures[0][1]


def test_exceptions_of_the_service_are_reported_with_their_traceback():
    case = _lookup_case(patchers=[Patcher("tests.components.remote.fetch", side_effect=KeyError("boom"))])
    case.execute_call_assertion = []

    result = _run(_kit_test([case]))

    assert "raised" in result.failures[0][1] and "KeyError: 'boom'" in result.failures[0][1]


def test_malformed_io_format_is_rejected():
    class BadFormatService(Service):
        def inputs_format(self):
            return [self.OutputItem(name="Wrong kind", key="x", type="int")]

        def execute(self, data, parent_data):
            return True

    class BadFormatComponent(Component):
        name = "Bad format"
        code = "test_kit_bad_format"
        bound_service = BadFormatService

    result = _run(_kit_test([], component_cls=BadFormatComponent))

    assert "input item" in result.failures[0][1] and "is not an InputItem" in result.failures[0][1]


def test_callback_services_get_each_callback_data():
    result = _run(
        _kit_test(
            [
                ComponentTestCase(
                    name="two callbacks",
                    inputs={"callbacks_needed": 2},
                    parent_data={},
                    execute_assertion=ExecuteAssertion(success=True, outputs={"callbacks": []}),
                    schedule_assertion=[
                        ScheduleAssertion(
                            callback_data={"n": 1}, success=True, outputs={"callbacks": [{"n": 1}]}
                        ),
                        ScheduleAssertion(
                            callback_data={"n": 2},
                            success=True,
                            outputs={"callbacks": [{"n": 1}, {"n": 2}]},
                            schedule_finished=True,
                        ),
                    ],
                )
            ],
            component_cls=ComponentLibrary("multi_callback_node"),
        )
    )

    assert result.wasSuccessful(), result.failures + result.errors


def test_building_blocks():
    assertion = Assertion(success=True, outputs={"a": 1})
    schedule = ScheduleAssertion(None, True, False, {})
    assert (assertion.success, assertion.outputs) == (True, {"a": 1})
    assert (schedule.callback_data, schedule.schedule_finished, schedule.success, schedule.outputs) == (
        None,
        True,
        False,
        {},
    )
    case = ComponentTestCase({}, {}, ExecuteAssertion(True, {}), schedule)
    assert case.schedule_assertions == [schedule] and case.patchers == [] and case.service_id
    with patch_context([Patcher("tests.components.remote.fetch", return_value={"patched": True})]):
        assert remote.fetch("x") == {"patched": True}
    mock = MagicMock()
    mock(1)
    mock(2)
    CallAssertion(mock, [call(2), call(1)], any_order=True).do_assert()
    with pytest.raises(AssertionError, match="calls differ"):
        CallAssertion(mock, [call(2), call(1)]).do_assert()
