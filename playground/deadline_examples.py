"""Examples of ``pipeline.contrib.node_timeout`` and ``node_timer_event`` (docs/node-timeout.md,
docs/node-timer-event.md), run by ``python -m playground.demo`` (the timeout) and
``python -m playground.demo --timer`` (the timer).

Each function builds the tree, applies the config to it and stores the config, as a project does before
``run_pipeline``; it returns the tree and the ids of the nodes worth looking at.
"""

from typing import Dict, Tuple

from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, Var, build_tree

#: The slow call answers after this many seconds; its timeout is shorter.
SLOW_CALL_SECONDS = 3
TIMEOUT_SECONDS = 2
#: The timer fires this long after its node started; the node itself runs a little longer.
TIMER_DEFINED = "PT3S"
TIMED_NODE_SECONDS = 4


def _linear(*activities: ServiceActivity) -> dict:
    start = EmptyStartEvent(name="start")
    tail = start
    for activity in activities:
        tail = tail.extend(activity)
    tail.extend(EmptyEndEvent(name="end"))
    return build_tree(start)


def timeout_example() -> Tuple[dict, Dict[str, str]]:
    """start → ``slow_node`` (answers after 3 s; 2 s timeout, ``forced_fail_and_skip``) → a next node → end.

    The timeout fires while the call is in flight: the node is failed, then skipped, and the pipeline goes
    on; the call's late answer changes nothing.
    """
    from pipeline.contrib.node_timeout.api import apply_node_timout_configs, batch_create_node_timeout_config

    slow = ServiceActivity(component_code="slow_node", name="slow call")
    slow.component.inputs.seconds = Var(type=Var.PLAIN, value=SLOW_CALL_SECONDS)
    after = ServiceActivity(component_code="example_component", name="after the timeout")
    after.component.inputs.message = Var(type=Var.PLAIN, value="went on without the slow answer")
    tree = _linear(slow, after)
    config = {"enable": True, "action": "forced_fail_and_skip", "seconds": TIMEOUT_SECONDS}
    apply_node_timout_configs(tree, {slow.id: config})
    batch_create_node_timeout_config(tree["id"], tree)
    return tree, {"slow": slow.id, "after": after.id}


def timer_example() -> Tuple[dict, Dict[str, str]]:
    """start → ``sleep_timer`` (4 s) with a ``PT3S`` boundary timer → end.

    The timer's action (``playground_note``, ``playground/components/collections/timers.py``) writes a line
    into the node's log 3 s after it started; the node goes on and finishes (a non-interrupting timer).
    """
    from pipeline.contrib.node_timer_event.api import (
        apply_node_timer_event_configs,
        batch_create_node_timer_event_config,
    )

    timed = ServiceActivity(component_code="sleep_timer", name="long task")
    timed.component.inputs.seconds = Var(type=Var.PLAIN, value=TIMED_NODE_SECONDS)
    tree = _linear(timed)
    timer = {
        "enable": True,
        "action": "playground_note",
        "timer_type": "time_duration",
        "defined": TIMER_DEFINED,
    }
    apply_node_timer_event_configs(tree, {timed.id: [timer]})
    batch_create_node_timer_event_config(tree["id"], tree)
    return tree, {"timed": timed.id}
