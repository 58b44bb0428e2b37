"""The Django runtime emits hooks and signals in upstream's order, with upstream's senders and kwargs.

See :mod:`tests.hook_sequence` for the scenario and how the expected sequence was recorded.
"""

import pytest
from django.test import override_settings

from pipeline.eri import signals
from tests.hook_sequence import Recorder, expected_sequence, make_services, run_scenario


def _connect(recorder: Recorder):
    """Record ``pipeline_event``, ``post_set_state`` and the ``pre_service_*`` signals; returns the undo."""

    def on_event(sender, event, **kwargs):
        recorder.hook_event(sender.__name__, event.event_type, event.data)

    def on_state(sender, node_id, to_state, version, root_id, parent_id, loop, **kwargs):
        norm = recorder.norm
        entry = ["post_set_state", sender.__name__, norm(node_id), to_state, norm(root_id), norm(parent_id)]
        recorder.events.append([*entry, loop])

    def on_execute(sender, service, data, parent_data, **kwargs):
        kinds = [type(service).__name__, type(data).__name__, type(parent_data).__name__]
        recorder.events.append(["pre_service_execute", sender.__name__, *kinds, sorted(kwargs)])

    def on_schedule(sender, service, data, parent_data, callback_data=None, **kwargs):
        kinds = [type(service).__name__, type(data).__name__, type(parent_data).__name__]
        callback = type(callback_data).__name__ if callback_data is not None else None
        recorder.events.append(["pre_service_schedule", sender.__name__, *kinds, callback, sorted(kwargs)])

    receivers = [
        (signals.pipeline_event, on_event),
        (signals.post_set_state, on_state),
        (signals.pre_service_execute, on_execute),
        (signals.pre_service_schedule, on_schedule),
    ]
    for signal, receiver in receivers:
        signal.connect(receiver, weak=False)

    def disconnect():
        for signal, receiver in receivers:
            signal.disconnect(receiver)

    return disconnect


@pytest.fixture
def recorded_run(harness):
    recorder = Recorder()
    for code, cls in make_services(recorder).items():
        harness.register_service(code, cls)
    disconnect = _connect(recorder)
    try:
        with override_settings(ENABLE_PIPELINE_EVENT_SIGNALS=True):
            run_scenario(harness.runtime, harness.run_until_idle, recorder)
    finally:
        disconnect()
    return recorder.events


def test_every_hook_and_signal_in_upstreams_order(recorded_run):
    assert recorded_run == expected_sequence()


def test_execute_and_schedule_hooks_once_per_service_call(recorded_run):
    events = [e[2] for e in recorded_run if e[0] == "pipeline_event" and e[3].get("node_id") == "A"]

    # one execute, two polls; post_ only after a successful call
    assert events == ["node_enter", "pre_execute", "post_execute"] + ["pre_schedule", "post_schedule"] * 2 + [
        "node_finish"
    ]


def test_callback_hooks_get_the_callback_data_object(recorded_run):
    hooks = [e for e in recorded_run if e[0] == "hook" and e[2] in ("pre_callback", "post_callback")]

    assert hooks == [
        ["hook", "Callback", "pre_callback", "CallbackData", {"ok": 1}],
        ["hook", "Callback", "post_callback", "CallbackData", {"ok": 1}],
    ]


def test_no_pipeline_event_without_the_setting(harness):
    recorder = Recorder()
    for code, cls in make_services(recorder).items():
        harness.register_service(code, cls)
    disconnect = _connect(recorder)
    try:
        run_scenario(harness.runtime, harness.run_until_idle, recorder)
    finally:
        disconnect()

    kinds = {e[0] for e in recorder.events}
    assert "pipeline_event" not in kinds
    assert {"post_set_state", "pre_service_execute", "hook"} <= kinds
    assert recorder.events[-1] == ["final_state", "FINISHED"]
