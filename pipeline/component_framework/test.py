"""Unit-test kit for plugin components; built on ``unittest.mock`` only.

Example::

    class FactorialComponentTest(TestCase, ComponentTestMixin):
        def component_cls(self):
            return FactorialComponent

        def cases(self):
            return [
                ComponentTestCase(
                    name="4! is 24",
                    inputs={"n": 4},
                    parent_data={},
                    execute_assertion=ExecuteAssertion(success=True, outputs={"factorial_of_n": 24}),
                    schedule_assertion=None,
                )
            ]
"""

import contextlib
import copy
import traceback
import uuid
from typing import List
from unittest.mock import MagicMock, call, patch

from bamboo_engine.plugin import io as plugin_io
from pipeline.core.data.base import DataObject
from pipeline.core.flow.io import ArrayItemSchema, ItemSchema, ObjectItemSchema, SimpleItemSchema

__all__ = [
    "ArrayItemSchema",
    "Assertion",
    "Call",
    "CallAssertion",
    "ComponentTestCase",
    "ComponentTestMixin",
    "DataObject",
    "ExecuteAssertion",
    "ItemSchema",
    "ObjectItemSchema",
    "Patcher",
    "ScheduleAssertion",
    "SimpleItemSchema",
    "patch_context",
]


class Assertion:
    """Expected result of one call: the success flag (None returned counts as True) and the outputs."""

    def __init__(self, success, outputs):
        self.success = success
        self.outputs = outputs


class ExecuteAssertion(Assertion):
    """Expected result of ``execute``."""


class ScheduleAssertion(Assertion):
    """Expected result of one ``schedule`` call.

    Args:
        callback_data: passed to ``schedule`` (callback services).
        schedule_finished: expected ``is_schedule_finished()`` after the call (POLL and multiple
            callback services).
        success, outputs: as :class:`Assertion`.
    """

    def __init__(self, callback_data=None, schedule_finished=False, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.callback_data = callback_data
        self.schedule_finished = schedule_finished


class CallAssertion:
    """Expected calls of a mock (``unittest.mock.call`` objects); empty ``calls`` = never called."""

    def __init__(self, func, calls, any_order=False):
        self.func = func
        self.calls = calls
        self.any_order = any_order

    def do_assert(self):
        """Raises AssertionError naming the mock and listing expected vs. actual calls."""
        if not self.calls:
            if self.func.called:
                raise AssertionError(f"{self._name()} should not be called, got {self.func.mock_calls}")
            return
        try:
            self.func.assert_has_calls(self.calls, any_order=self.any_order)
        except AssertionError as err:
            raise AssertionError(f"{self._name()} calls differ: {err}") from None

    def _name(self):
        return getattr(self.func, "_mock_name", None) or repr(self.func)


class Patcher:
    """Replace ``target`` (a dotted path) with a ``MagicMock(return_value=..., side_effect=...)``."""

    def __init__(self, target, return_value=None, side_effect=None):
        self.target = target
        self.return_value = return_value
        self.side_effect = side_effect

    def mock_patcher(self):
        """A ``unittest.mock.patch`` object (start/stop it, or use it as a context manager)."""
        return patch(self.target, MagicMock(return_value=self.return_value, side_effect=self.side_effect))


@contextlib.contextmanager
def patch_context(patchers):
    """Apply every :class:`Patcher` for the duration of the ``with`` block."""
    with contextlib.ExitStack() as stack:
        for patcher in patchers or []:
            stack.enter_context(patcher.mock_patcher())
        yield


class ComponentTestCase:
    """One scenario of a component test.

    Args:
        inputs: the service inputs (``data.inputs``).
        parent_data: root pipeline inputs (``parent_data.inputs``).
        execute_assertion: an :class:`ExecuteAssertion`.
        schedule_assertion: one :class:`ScheduleAssertion`, a list of them (one per schedule call, in
            order), or None.
        name: shown in failure reports.
        patchers: :class:`Patcher` list active during the case.
        execute_call_assertion, schedule_call_assertion: :class:`CallAssertion` lists checked after
            execute / after the schedule calls.
        service_id, root_pipeline_id: runtime attributes given to the service (random by default).
    """

    def __init__(
        self,
        inputs,
        parent_data,
        execute_assertion,
        schedule_assertion,
        name="",
        patchers=None,
        execute_call_assertion=None,
        schedule_call_assertion=None,
        service_id=None,
        root_pipeline_id=None,
    ):
        self.inputs = inputs
        self.parent_data = parent_data
        self.execute_assertion = execute_assertion
        self.schedule_assertion = schedule_assertion
        self.name = name
        self.patchers = patchers or []
        self.execute_call_assertion = execute_call_assertion or []
        self.schedule_call_assertion = schedule_call_assertion or []
        self.service_id = service_id or uuid.uuid4().hex
        self.root_pipeline_id = root_pipeline_id or uuid.uuid4().hex

    @property
    def schedule_assertions(self) -> List[ScheduleAssertion]:
        if self.schedule_assertion is None:
            return []
        if isinstance(self.schedule_assertion, ScheduleAssertion):
            return [self.schedule_assertion]
        return list(self.schedule_assertion)


def _succeeded(returned) -> bool:
    return returned is None or bool(returned)


class ComponentTestMixin:
    """Mix into a ``unittest.TestCase`` (e.g. ``django.test.TestCase``); define :meth:`component_cls`
    and :meth:`cases`. ``test_component`` runs every case and reports all failures at the end."""

    def component_cls(self):
        raise NotImplementedError(
            "ComponentTestMixin: define component_cls(self) returning the Component class"
        )

    def cases(self):
        raise NotImplementedError(
            "ComponentTestMixin: define cases(self) returning ComponentTestCase objects"
        )

    def input_output_format_valid(self):
        """Every declared input/output is an Input/OutputItem with a unique key and a valid schema."""
        service = self.component_cls().bound_service()
        for kind, items, item_cls in (
            ("input", service.inputs_format(), plugin_io.InputItem),
            ("output", service.outputs_format(), plugin_io.OutputItem),
        ):
            self.assertIsInstance(items, list, f"{kind}s_format() must return a list")
            keys = [getattr(item, "key", None) for item in items]
            for item in items:
                self.assertIsInstance(item, item_cls, f"{kind} item {item!r} is not an {item_cls.__name__}")
                self.assertTrue(item.key, f"{kind} item {item.name!r} has an empty key")
                if item.schema is not None:
                    self.assertIsInstance(item.schema, plugin_io.ItemSchema, f"{kind} {item.key}: bad schema")
                item.as_dict()
            duplicates = sorted({key for key in keys if keys.count(key) > 1})
            self.assertFalse(duplicates, f"duplicate {kind} keys: {duplicates}")

    def test_component(self):
        self.input_output_format_valid()
        failures = []
        for index, case in enumerate(self.cases()):
            label = case.name or f"case #{index}"
            try:
                self._run_case(case)
            except AssertionError as err:
                failures.append(f"{label}: {err}")
            except Exception:  # noqa: BLE001 - reported with its traceback
                failures.append(f"{label}: raised\n{traceback.format_exc()}")
        if failures:
            self._test_fail(failures)

    def _test_fail(self, failures):
        title = f"{len(failures)} case(s) of {self.component_cls().__name__} failed"
        self.fail(title + ":\n" + "\n".join(f"- {failure}" for failure in failures))

    def _new_service(self, case):
        service = self.component_cls()({}).service()
        service.setup_runtime_attrs(
            id=case.service_id, root_pipeline_id=case.root_pipeline_id, logger=MagicMock()
        )
        return service

    def _run_case(self, case):
        with patch_context(case.patchers):
            service = self._new_service(case)
            data = DataObject(inputs=copy.deepcopy(case.inputs))
            parent_data = DataObject(inputs=copy.deepcopy(case.parent_data))
            returned = service.execute(data, parent_data)
            self._check("execute", case.execute_assertion, returned, data)
            for call_assertion in case.execute_call_assertion:
                call_assertion.do_assert()
            if _succeeded(returned) and service.need_schedule():
                self._run_schedules(service, case, data, parent_data)
                for call_assertion in case.schedule_call_assertion:
                    call_assertion.do_assert()

    def _run_schedules(self, service, case, data, parent_data):
        assertions = case.schedule_assertions
        if not assertions:
            raise AssertionError("the service needs scheduling but the case has no schedule_assertion")
        # A single-callback service finishes on its one successful call, without finish_schedule().
        check_finished = service.interval is not None or service.multi_callback_enabled()
        for round_index, assertion in enumerate(assertions, start=1):
            returned = service.schedule(data, parent_data, assertion.callback_data)
            self._check(f"schedule #{round_index}", assertion, returned, data)
            if check_finished:
                self.assertEqual(
                    assertion.schedule_finished,
                    service.is_schedule_finished(),
                    f"schedule #{round_index}: schedule_finished expected {assertion.schedule_finished}",
                )

    def _check(self, stage, assertion, returned, data):
        self.assertEqual(
            assertion.success,
            _succeeded(returned),
            f"{stage}: success expected {assertion.success}, service returned {returned!r} "
            f"(outputs: {dict(data.outputs)!r})",
        )
        self.assertDictEqual(assertion.outputs, dict(data.outputs), f"{stage}: outputs differ")


#: ``unittest.mock.call``: builds the expected calls of a :class:`CallAssertion`.
Call = call
