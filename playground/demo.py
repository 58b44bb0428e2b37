"""The newcomer demo (``make demo``, or ``python -m playground.demo``): three pipelines on the Django runtime.

1. The quick start: start → ``example_component`` → end.
2. A richer run: an exclusive gateway, a parallel gateway whose branches are a subprocess with params,
   a node waiting for a callback (answered by this script) and a node that fails and is retried with new
   inputs, then a summary node using a lazy variable.
3. A node timeout: a slow call with a 2 s timeout (``forced_fail_and_skip``) is failed and skipped while
   it is still in flight, and the pipeline goes on (``playground/deadline_examples.py``).

They run on the settings' database and broker: with nothing configured, SQLite and the in-process worker
of :mod:`pipeline.eri.embedded` (the same tasks, runtime and engine as production); the timeout scanner
runs in a thread of this process. The exit code is 0 only when all finished with the expected states and
outputs.

``python -m playground.demo --tree quickstart|richer`` prints a tree as JSON instead (for
``manage.py run_pipeline``); ``python -m playground.demo --timer`` runs only the timer event example (a
``PT3S`` timer on a node that runs 4 s).
"""

import argparse
import contextlib
import json
import os
import sys
import threading
import time
from typing import Callable, Dict, List, Optional, Tuple

# The builder is pure Python; Django and the runtime are imported once django.setup() ran (main()).
from bamboo_engine.builder import (
    ConvergeGateway,
    Data,
    DataInput,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    NodeOutput,
    ParallelGateway,
    Params,
    RewritableNodeOutput,
    ServiceActivity,
    SubProcess,
    Var,
    build_tree,
)

#: Seconds each wait of the demo may last.
WAIT_TIMEOUT = 60.0
ADMIN_HINT = """\
Inspect the runs in the Django admin:
  python manage.py createsuperuser
  python manage.py runserver
  then open http://127.0.0.1:8000/admin/ (states, processes, execution data, node logs)
  or the operators' console: http://127.0.0.1:8000/engine_admin/
or on the command line:"""


# -------------------------------------------------------------------------------------------- trees
def quickstart_tree() -> dict:
    """start → example_component (echoes ``hello ${name}``) → end; exports ``${message}``."""
    start, end = EmptyStartEvent(name="start"), EmptyEndEvent(name="end")
    echo = ServiceActivity(component_code="example_component", name="say hello")
    echo.component.inputs.message = Var(type=Var.SPLICE, value="hello ${name}")
    start.extend(echo).extend(end)
    data = Data()
    data.inputs["${name}"] = Var(type=Var.PLAIN, value="bamboo")
    data.inputs["${message}"] = NodeOutput(type=Var.PLAIN, source_act=echo.id, source_key="message")
    data.outputs = ["${message}"]
    return build_tree(start, data=data)


def _greeting_subprocess():
    """Child pipeline: greets its ``${name}`` param and exports ``${greeting}``."""
    start, end = EmptyStartEvent(name="sub start"), EmptyEndEvent(name="sub end")
    greet = ServiceActivity(component_code="example_component", name="greet")
    greet.component.inputs.message = Var(type=Var.SPLICE, value="hello ${name}")
    start.extend(greet).extend(end)
    data = Data()
    data.inputs["${name}"] = DataInput(type=Var.PLAIN, value="nobody")
    data.inputs["${greeting}"] = NodeOutput(type=Var.PLAIN, source_act=greet.id, source_key="message")
    data.outputs = ["${greeting}"]
    params = Params({"${name}": Var(type=Var.SPLICE, value="${customer}")})
    return SubProcess(start=start, data=data, params=params, name="greeting subprocess")


def richer_tree() -> Tuple[dict, Dict[str, str]]:
    """The richer pipeline and the ids of the nodes the script talks to (``approval``, ``factorial``)."""
    start, end = EmptyStartEvent(name="start"), EmptyEndEvent(name="end")
    route = ExclusiveGateway(conditions={0: "${amount} >= 100", 1: "${amount} < 100"}, name="route by amount")
    big, small = (
        ServiceActivity(component_code="example_component", name=f"{size} order") for size in ("big", "small")
    )
    big.component.inputs.message = Var(type=Var.SPLICE, value="big order of ${amount}")
    small.component.inputs.message = Var(type=Var.SPLICE, value="small order of ${amount}")
    fork = ParallelGateway(name="fork")
    greeting = _greeting_subprocess()
    approval = ServiceActivity(component_code="callback_node", name="wait for approval")
    factorial = ServiceActivity(component_code="factorial", name="factorial")
    factorial.component.inputs.n = Var(type=Var.SPLICE, value="${n}")
    summary = ServiceActivity(component_code="example_component", name="summary")
    summary.component.inputs.message = Var(type=Var.SPLICE, value="${shout}: ${greeting}, n! = ${factorial}")

    start.extend(route).connect(big, small).converge(ConvergeGateway(name="join route")).extend(fork)
    fork.connect(greeting, approval, factorial).converge(ConvergeGateway(name="join fork"))
    fork.tail().extend(summary).extend(end)

    data = Data()
    data.inputs["${amount}"] = Var(type=Var.PLAIN, value=250)
    data.inputs["${customer}"] = Var(type=Var.PLAIN, value="alice")
    data.inputs["${n}"] = Var(type=Var.PLAIN, value=-1)  # invalid on purpose: the node fails, is retried
    data.inputs["${shout}"] = Var(type=Var.LAZY, custom_type="upper_case", value="order for ${customer}")
    data.inputs["${route}"] = RewritableNodeOutput(
        type=Var.PLAIN,
        source_act=[{"source_act": node.id, "source_key": "message"} for node in (big, small)],
    )
    data.inputs["${greeting}"] = NodeOutput(type=Var.PLAIN, source_act=greeting.id, source_key="${greeting}")
    data.inputs["${approval}"] = NodeOutput(
        type=Var.PLAIN, source_act=approval.id, source_key="callback_data"
    )
    data.inputs["${factorial}"] = NodeOutput(
        type=Var.PLAIN, source_act=factorial.id, source_key="factorial_of_n"
    )
    data.inputs["${summary}"] = NodeOutput(type=Var.PLAIN, source_act=summary.id, source_key="message")
    data.outputs = ["${route}", "${greeting}", "${approval}", "${factorial}", "${summary}"]
    return build_tree(start, data=data), {"approval": approval.id, "factorial": factorial.id}


#: What the richer run must export once finished.
RICHER_EXPECTED_OUTPUTS = {
    "${route}": "big order of 250",
    "${greeting}": "hello alice",
    "${approval}": {"ok": True, "by": "playground.demo"},
    "${factorial}": 720,
    "${summary}": "ORDER FOR ALICE: hello alice, n! = 720",
}
QUICKSTART_EXPECTED_OUTPUTS = {"${message}": "hello bamboo"}
#: The new inputs the failed node is retried with.
RETRY_INPUTS = {"n": 6}


# ------------------------------------------------------------------------------------------ running
def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _wait(done: Callable[[], bool], what: str) -> None:
    """Until ``done()`` (and, in-process, until the worker is quiet).

    Raises:
        TimeoutError: naming ``what``.
    """
    from pipeline.management.control import is_embedded

    if is_embedded():
        from pipeline.eri.embedded import wait_until_settled

        try:
            wait_until_settled(timeout=WAIT_TIMEOUT, done=done)
        except TimeoutError as err:
            raise TimeoutError(f"{what}: {err}")
        return
    deadline = time.monotonic() + WAIT_TIMEOUT
    while not done():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not done after {WAIT_TIMEOUT:.0f}s (are workers running?)")
        time.sleep(0.1)


def _state_name(runtime, node_id: str) -> Optional[str]:
    state = runtime.get_state_or_none(node_id)
    return None if state is None else state.name


def _root_settled(runtime, root_id: str) -> Callable[[], bool]:
    return lambda: _state_name(runtime, root_id) in ("FINISHED", "FAILED", "REVOKED")


def _show(runtime, title: str, root_id: str) -> dict:
    """Print the node table and the outputs of a run; returns the outputs."""
    from pipeline.management.control import STATE_HEADERS, render_table, state_rows

    outputs = runtime.get_execution_data_outputs(root_id)
    print(f"\n{title}\npipeline {root_id}: {_state_name(runtime, root_id)}")
    print(render_table(STATE_HEADERS, state_rows(runtime, root_id)))
    rows = [[key, json.dumps(value)] for key, value in sorted(outputs.items())]
    print("pipeline outputs:")
    print(render_table(("KEY", "VALUE"), rows) if rows else "(none yet: written when the pipeline finishes)")
    return outputs


def _expect(problems: List[str], what: str, actual, expected) -> None:
    if actual != expected:
        problems.append(f"{what}: expected {expected!r}, got {actual!r}")


def run_quickstart(runtime, runs: List[str]) -> List[str]:
    """Run the quick-start pipeline (its id appended to ``runs``); returns what went wrong, if anything."""
    from bamboo_engine import api

    tree = quickstart_tree()
    runs.append(tree["id"])
    print("== 1. quick start: start -> example_component -> end")
    started = api.run_pipeline(runtime, tree)
    if not started.result:
        return [f"quick start: run_pipeline failed: {started.exc}"]
    _wait(_root_settled(runtime, tree["id"]), "quick start")
    outputs = _show(runtime, "quick start, final states:", tree["id"])
    problems: List[str] = []
    _expect(problems, "quick start pipeline state", _state_name(runtime, tree["id"]), "FINISHED")
    _expect(problems, "quick start outputs", outputs, QUICKSTART_EXPECTED_OUTPUTS)
    return problems


def _repair(runtime, ids: Dict[str, str]) -> List[str]:
    """The operator's part: retry the failed node with new inputs, answer the waiting callback."""
    from bamboo_engine import api

    failed = runtime.get_execution_data_outputs(ids["factorial"]).get("ex_data")
    print(f"-> node 'factorial' FAILED ({failed}); retry_node with new inputs {json.dumps(RETRY_INPUTS)}")
    retried = api.retry_node(runtime, ids["factorial"], data=dict(RETRY_INPUTS))
    version = runtime.get_state(ids["approval"]).version
    answer = RICHER_EXPECTED_OUTPUTS["${approval}"]
    print(f"-> node 'wait for approval' waits for a callback; callback with {json.dumps(answer)}")
    answered = api.callback(runtime, ids["approval"], version, dict(answer))
    return [
        f"{name}: {result.exc}"
        for name, result in (("retry", retried), ("callback", answered))
        if not result.result
    ]


def run_richer(runtime, runs: List[str]) -> List[str]:
    """Run the richer pipeline (its id appended to ``runs``), repairing it on the way; returns problems."""
    from bamboo_engine import api

    tree, ids = richer_tree()
    runs.append(tree["id"])
    print("\n== 2. gateways, a subprocess with params, a callback, a failure retried with new inputs")
    started = api.run_pipeline(runtime, tree)
    if not started.result:
        return [f"richer: run_pipeline failed: {started.exc}"]

    def stopped_for_operator() -> bool:
        return (
            _state_name(runtime, ids["factorial"]) == "FAILED"
            and _state_name(runtime, ids["approval"]) == "RUNNING"
        )

    _wait(stopped_for_operator, "richer run reaching the failed node and the callback")
    _show(runtime, "richer, waiting for the operator:", tree["id"])
    problems = _repair(runtime, ids)
    if problems:
        return problems
    _wait(_root_settled(runtime, tree["id"]), "richer run after the repair")
    outputs = _show(runtime, "richer, final states:", tree["id"])
    _expect(problems, "richer pipeline state", _state_name(runtime, tree["id"]), "FINISHED")
    unfinished = {
        row.node_id: row.name for row in runtime.get_state_by_root(tree["id"]) if row.name != "FINISHED"
    }
    _expect(problems, "richer nodes not FINISHED", unfinished, {})
    _expect(problems, "retries of the failed node", runtime.get_state(ids["factorial"]).retry, 1)
    _expect(problems, "richer outputs", outputs, RICHER_EXPECTED_OUTPUTS)
    return problems


@contextlib.contextmanager
def _scanning(scanner_factory):
    """Run a deadline scanner in a thread for the block (``manage.py start_node_*_process`` in production)."""
    stop = threading.Event()
    thread = threading.Thread(target=scanner_factory().serve, args=(stop, 0.2), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def run_timeout(runtime, runs: List[str]) -> List[str]:
    """Run the node timeout example (its id appended to ``runs``); returns problems."""
    from bamboo_engine import api
    from pipeline.contrib.node_timeout.scanning import timeout_scanner
    from playground.deadline_examples import SLOW_CALL_SECONDS, TIMEOUT_SECONDS, timeout_example

    tree, ids = timeout_example()
    runs.append(tree["id"])
    print(
        f"\n== 3. a node timeout: 'slow call' answers after {SLOW_CALL_SECONDS} s, its timeout is "
        f"{TIMEOUT_SECONDS} s (forced_fail_and_skip)"
    )
    with _scanning(timeout_scanner):
        started = api.run_pipeline(runtime, tree)
        if not started.result:
            return [f"timeout: run_pipeline failed: {started.exc}"]
        _wait(_root_settled(runtime, tree["id"]), "timeout example")
    _show(runtime, "node timeout, final states:", tree["id"])
    slow = runtime.get_state(ids["slow"])
    note = runtime.get_execution_data_outputs(ids["slow"]).get("ex_data", "")
    print(f"-> 'slow call' was failed and skipped by its timeout: {note}")
    problems: List[str] = []
    _expect(problems, "timeout pipeline state", _state_name(runtime, tree["id"]), "FINISHED")
    _expect(problems, "slow call state and skip", (slow.name, slow.skip), ("FINISHED", True))
    _expect(problems, "timed out", f"ran longer than its timeout of {TIMEOUT_SECONDS} s" in note, True)
    _expect(problems, "node after the timeout", _state_name(runtime, ids["after"]), "FINISHED")
    return problems


def run_timer(runtime, runs: List[str]) -> List[str]:
    """Run the timer event example (its id appended to ``runs``); returns problems."""
    from bamboo_engine import api
    from pipeline.contrib.node_timer_event.scanning import timer_scanner
    from playground.deadline_examples import TIMED_NODE_SECONDS, TIMER_DEFINED, timer_example

    tree, ids = timer_example()
    runs.append(tree["id"])
    print(f"== a boundary timer: '{TIMER_DEFINED}' on a node that runs {TIMED_NODE_SECONDS} s")
    with _scanning(timer_scanner):
        started = api.run_pipeline(runtime, tree)
        if not started.result:
            return [f"timer: run_pipeline failed: {started.exc}"]
        _wait(_root_settled(runtime, tree["id"]), "timer example")
    _show(runtime, "timer event, final states:", tree["id"])
    log = runtime.get_plain_log_for_node(ids["timed"])
    print(f"-> log of 'long task':\n{log}")
    problems: List[str] = []
    _expect(problems, "timer pipeline state", _state_name(runtime, tree["id"]), "FINISHED")
    _expect(problems, "the timer's note in the node log", "timer fired" in log, True)
    return problems


def _parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m playground.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--tree", choices=("quickstart", "richer"), help="print this tree as JSON and exit")
    parser.add_argument("--timer", action="store_true", help="run only the timer event example")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the pipelines; 0 when all finished as expected, 1 otherwise."""
    args = _parse_args(argv)
    if args.tree:
        tree = quickstart_tree() if args.tree == "quickstart" else richer_tree()[0]
        print(json.dumps(tree, indent=2))
        return 0
    _setup_django()
    from django.conf import settings

    from pipeline.management.control import get_runtime, is_embedded, worker_scope

    where = (
        "in-process worker (memory:// broker)" if is_embedded() else f"broker {settings.CELERY_BROKER_URL}"
    )
    print(f"bamboo demo: database {settings.DATABASES['default']['NAME']}, {where}\n")
    runtime, runs = get_runtime(), []
    try:
        with worker_scope():
            if args.timer:
                problems = run_timer(runtime, runs)
            else:
                problems = (
                    run_quickstart(runtime, runs) + run_richer(runtime, runs) + run_timeout(runtime, runs)
                )
    except TimeoutError as err:
        problems = [str(err)]
    print(f"\n{ADMIN_HINT}")
    print("\n".join(f"  python manage.py pipeline_states {root_id}" for root_id in runs) + "\n")
    if problems:
        print("demo FAILED:\n  " + "\n  ".join(problems))
        return 1
    print("demo OK: every pipeline finished as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
