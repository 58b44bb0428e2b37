"""The playground components, tested the way plugin authors test theirs: with the plugin test kit."""

from unittest.mock import MagicMock, call

from django.test import SimpleTestCase

from pipeline.component_framework.library import ComponentLibrary
from pipeline.component_framework.test import (
    CallAssertion,
    ComponentTestCase,
    ComponentTestMixin,
    ExecuteAssertion,
    Patcher,
    ScheduleAssertion,
)
from pipeline.core.data.base import DataObject

TIME = "playground.components.collections.timers.time.time"


def _case(name, inputs, success, outputs, schedule_assertion=None, **kwargs):
    return ComponentTestCase(
        name=name,
        inputs=inputs,
        parent_data={},
        execute_assertion=ExecuteAssertion(success=success, outputs=outputs),
        schedule_assertion=schedule_assertion,
        **kwargs,
    )


class FactorialComponentTest(SimpleTestCase, ComponentTestMixin):
    def component_cls(self):
        return ComponentLibrary("factorial")

    def cases(self):
        return [
            _case("4! is 24", {"n": 4}, True, {"factorial_of_n": 24}),
            _case("0! is 1", {"n": 0}, True, {"factorial_of_n": 1}),
            _case("negative", {"n": -2}, False, {"ex_data": "n must be a non-negative integer, got -2"}),
            _case(
                "not a number", {"n": "4"}, False, {"ex_data": "n must be a non-negative integer, got '4'"}
            ),
        ]


class ExampleComponentTest(SimpleTestCase, ComponentTestMixin):
    def component_cls(self):
        return ComponentLibrary("example_component")

    def cases(self):
        return [_case("echo", {"message": "hi"}, True, {"message": "hi"})]


class DebugNodeTest(SimpleTestCase, ComponentTestMixin):
    def component_cls(self):
        return ComponentLibrary("debug_node")

    def cases(self):
        outputs = {"param_1": "a", "_loop": 1, "_inner_loop": 1}
        return [
            _case(
                "copies inputs, finishes on the first poll",
                {"param_1": "a", "_loop": 1, "_inner_loop": 1},
                True,
                outputs,
                ScheduleAssertion(success=True, outputs=outputs, schedule_finished=True),
            )
        ]


class SleepTimerTest(SimpleTestCase, ComponentTestMixin):
    def component_cls(self):
        return ComponentLibrary("sleep_timer")

    def cases(self):
        clock = MagicMock(side_effect=[100.0, 101.0, 102.0, 103.0])
        return [
            _case(
                "wakes after 2.5 s",
                {"seconds": 2.5},
                True,
                {"wake_at": 102.5},
                [
                    ScheduleAssertion(success=True, outputs={"wake_at": 102.5}, schedule_finished=False),
                    ScheduleAssertion(success=True, outputs={"wake_at": 102.5}, schedule_finished=False),
                    ScheduleAssertion(success=True, outputs={"wake_at": 102.5}, schedule_finished=True),
                ],
                patchers=[Patcher(TIME, side_effect=clock)],
                schedule_call_assertion=[CallAssertion(clock, [call(), call(), call(), call()])],
            ),
            _case(
                "negative seconds",
                {"seconds": -1},
                False,
                {"ex_data": "seconds must be a non-negative number, got -1"},
            ),
        ]


class CallbackNodeTest(SimpleTestCase, ComponentTestMixin):
    def component_cls(self):
        return ComponentLibrary("callback_node")

    def cases(self):
        return [
            _case(
                "accepted",
                {},
                True,
                {},
                ScheduleAssertion(
                    callback_data={"ok": True}, success=True, outputs={"callback_data": {"ok": True}}
                ),
            ),
            _case(
                "rejected",
                {},
                True,
                {},
                ScheduleAssertion(
                    callback_data={"ok": False, "message": "no"}, success=False, outputs={"ex_data": "no"}
                ),
            ),
        ]


class FailNodeTest(SimpleTestCase, ComponentTestMixin):
    def component_cls(self):
        return ComponentLibrary("fail_node")

    def cases(self):
        return [
            _case("default message", {}, False, {"ex_data": "fail_node always fails"}),
            _case("given message", {"message": "nope"}, False, {"ex_data": "nope"}),
        ]


class EmptyAndNoScheduleNodesTest(SimpleTestCase, ComponentTestMixin):
    def component_cls(self):
        return ComponentLibrary("debug_no_schedule_node")

    def cases(self):
        return [_case("copies inputs", {"x": 1}, True, {"x": 1})]

    def test_empty_node_does_nothing(self):
        service = ComponentLibrary("empty_node").bound_service()
        data = DataObject(inputs={"x": 1})
        self.assertTrue(service.execute(data, DataObject(inputs={})))
        self.assertEqual(data.get_outputs(), {})
        self.assertFalse(service.need_schedule())
