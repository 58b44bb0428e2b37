"""The engine calls the runtime's hooks and the services' hooks in upstream's order (in-memory runtime).

Same scenario and expected sequence as ``tests/django/test_hook_signals.py`` (see
:mod:`tests.hook_sequence`), without what only the Django runtime sends (its signals and their senders).
"""

from bamboo_engine.testing import InMemoryRuntime
from tests.hook_sequence import Recorder, expected_sequence, make_services, run_scenario

ENGINE_KINDS = ("pipeline_event", "hook", "step", "final_state")


def _without_sender(entry: list) -> list:
    return [entry[0], *entry[2:]] if entry[0] == "pipeline_event" else entry


def test_runtime_and_service_hooks_in_upstreams_order():
    rt = InMemoryRuntime(executor="sync")
    recorder = Recorder()
    for code, cls in make_services(recorder).items():
        rt.register_service(code, cls)
    # every API and runtime hook of the in-memory runtime goes through on_hook
    rt.on_hook = lambda name, **data: recorder.hook_event("runtime", name, data)  # type: ignore[method-assign]

    run_scenario(rt, rt.run_until_idle, recorder)

    expected = [_without_sender(e) for e in expected_sequence() if e[0] in ENGINE_KINDS]
    assert [_without_sender(e) for e in recorder.events] == expected
