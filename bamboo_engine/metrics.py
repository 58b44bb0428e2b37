"""Prometheus metrics of the engine and of runtimes (names and labels are part of the public surface).

Every metric carries a ``hostname`` label (the worker's host name) that the helpers below fill in, so
callers pass only the other labels. Labelled children are cached: resolving ``metric.labels(...)`` on
every node would cost a lock and a dict build in the hot path.

Histogram buckets come from the ``BAMBOO_ENGINE_METRICS_BUCKETS`` environment variable (comma-separated
floats) read once at import, else :data:`DEFAULT_BUCKETS`.
"""

import functools
import os
import time
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from prometheus_client import Counter, Gauge, Histogram

from bamboo_engine.utils.host import get_hostname

HOST_NAME = get_hostname()

DEFAULT_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 25.0, 50.0, 75.0, 100.0,
    float("inf"),
)  # fmt: skip


def _buckets_from_env() -> Tuple[float, ...]:
    raw = os.environ.get("BAMBOO_ENGINE_METRICS_BUCKETS", "").strip()
    if not raw:
        return DEFAULT_BUCKETS
    try:
        return tuple(float(item) for item in raw.split(",") if item.strip())
    except ValueError:
        raise ValueError(f"BAMBOO_ENGINE_METRICS_BUCKETS must be comma-separated floats, got {raw!r}")


BUCKETS = _buckets_from_env()


def _histogram(name: str, documentation: str, *labels: str) -> Histogram:
    return Histogram(name, documentation, labelnames=(*labels, "hostname"), buckets=BUCKETS)


def _counter(name: str, documentation: str, *labels: str) -> Counter:
    return Counter(name, documentation, labelnames=(*labels, "hostname"))


def _gauge(name: str, documentation: str) -> Gauge:
    return Gauge(name, documentation, labelnames=("hostname",))


# Workers
ENGINE_RUNNING_PROCESSES = _gauge("engine_running_processes", "execute steps running in this worker")
ENGINE_RUNNING_SCHEDULES = _gauge("engine_running_schedules", "schedule steps running in this worker")

# Node outcomes (type = "<code>_<version>" for activities, snake_case node type otherwise)
ENGINE_EXECUTE_FAILED_COUNT = _counter("engine_execute_failed_count", "failed node executions", "type")
ENGINE_SCHEDULE_FAILED_COUNT = _counter("engine_schedule_failed_count", "failed node schedules", "type")
ENGINE_NODE_RETRY_SCHEDULED_COUNT = _counter(
    "engine_node_retry_scheduled_count", "automatic retries scheduled by a retry_policy", "code"
)
ENGINE_NODE_RETRY_EXHAUSTED_COUNT = _counter(
    "engine_node_retry_exhausted_count", "nodes failed with their retry_policy's attempts used up", "code"
)
ENGINE_EXECUTE_EXCEPTION_COUNT = _counter("engine_execute_exception_count", "node execute exceptions", "type")
ENGINE_SCHEDULE_EXCEPTION_COUNT = _counter(
    "engine_schedule_exception_count", "node schedule exceptions", "type"
)
# Exceptions that escaped an execute/schedule step (kind), and what became of its node (outcome)
ENGINE_UNEXPECTED_EXCEPTION_COUNT = _counter(
    "engine_unexpected_exception_count", "unexpected exceptions escaping a worker step", "kind", "outcome"
)
ENGINE_FENCE_DROP = _counter("engine_fence_drop", "messages dropped by fencing", "kind", "reason", "enforced")

# Step timings
ENGINE_PROCESS_RUNNING_TIME = _histogram("engine_process_running_time", "time of one execute step")
ENGINE_SCHEDULE_RUNNING_TIME = _histogram("engine_schedule_running_time", "time of one schedule step")
ENGINE_NODE_EXECUTE_TIME = _histogram("engine_node_execute_time", "node handler execute time", "type")
ENGINE_NODE_SCHEDULE_TIME = _histogram("engine_node_schedule_time", "node handler schedule time", "type")

# Engine bookkeeping around the handler (type = NodeType.value)
ENGINE_EXECUTE_PRE_PROCESS_DURATION = _histogram(
    "engine_execute_pre_process_duration", "engine work before a node handler executes", "type"
)
ENGINE_EXECUTE_POST_PROCESS_DURATION = _histogram(
    "engine_execute_post_process_duration", "engine work after a node handler executed", "type"
)
ENGINE_SCHEDULE_PRE_PROCESS_DURATION = _histogram(
    "engine_schedule_pre_process_duration", "engine work before a node handler schedules", "type"
)
ENGINE_SCHEDULE_POST_PROCESS_DURATION = _histogram(
    "engine_schedule_post_process_duration", "engine work after a node handler scheduled", "type"
)

# Handler bookkeeping around the service call (type as for per-node timings)
ENGINE_NODE_EXECUTE_PRE_PROCESS_DURATION = _histogram(
    "engine_node_execute_pre_process_duration", "handler work before the service executes", "type"
)
ENGINE_NODE_EXECUTE_POST_PROCESS_DURATION = _histogram(
    "engine_node_execute_post_process_duration", "handler work after the service executed", "type"
)
ENGINE_NODE_SCHEDULE_PRE_PROCESS_DURATION = _histogram(
    "engine_node_schedule_pre_process_duration", "handler work before the service schedules", "type"
)
ENGINE_NODE_SCHEDULE_POST_PROCESS_DURATION = _histogram(
    "engine_node_schedule_post_process_duration", "handler work after the service scheduled", "type"
)

# Runtime storage timings
ENGINE_RUNTIME_CONTEXT_VALUE_READ_TIME = _histogram("engine_runtime_context_value_read_time", "context read")
ENGINE_RUNTIME_CONTEXT_REF_READ_TIME = _histogram("engine_runtime_context_ref_read_time", "context refs read")
ENGINE_RUNTIME_CONTEXT_VALUE_UPSERT_TIME = _histogram(
    "engine_runtime_context_value_upsert_time", "context upsert"
)
ENGINE_RUNTIME_DATA_INPUTS_READ_TIME = _histogram("engine_runtime_data_inputs_read_time", "data inputs read")
ENGINE_RUNTIME_DATA_OUTPUTS_READ_TIME = _histogram(
    "engine_runtime_data_outputs_read_time", "data outputs read"
)
ENGINE_RUNTIME_DATA_READ_TIME = _histogram("engine_runtime_data_read_time", "data read")
ENGINE_RUNTIME_EXEC_DATA_INPUTS_READ_TIME = _histogram(
    "engine_runtime_exec_data_inputs_read_time", "execution data inputs read"
)
ENGINE_RUNTIME_EXEC_DATA_OUTPUTS_READ_TIME = _histogram(
    "engine_runtime_exec_data_outputs_read_time", "execution data outputs read"
)
ENGINE_RUNTIME_EXEC_DATA_READ_TIME = _histogram("engine_runtime_exec_data_read_time", "execution data read")
ENGINE_RUNTIME_EXEC_DATA_INPUTS_WRITE_TIME = _histogram(
    "engine_runtime_exec_data_inputs_write_time", "execution data inputs write"
)
ENGINE_RUNTIME_EXEC_DATA_OUTPUTS_WRITE_TIME = _histogram(
    "engine_runtime_exec_data_outputs_write_time", "execution data outputs write"
)
ENGINE_RUNTIME_EXEC_DATA_WRITE_TIME = _histogram(
    "engine_runtime_exec_data_write_time", "execution data write"
)
ENGINE_RUNTIME_CALLBACK_DATA_READ_TIME = _histogram(
    "engine_runtime_callback_data_read_time", "callback data read"
)
ENGINE_RUNTIME_SCHEDULE_READ_TIME = _histogram("engine_runtime_schedule_read_time", "schedule read")
ENGINE_RUNTIME_SCHEDULE_WRITE_TIME = _histogram("engine_runtime_schedule_write_time", "schedule write")
ENGINE_RUNTIME_STATE_READ_TIME = _histogram("engine_runtime_state_read_time", "state read")
ENGINE_RUNTIME_STATE_WRITE_TIME = _histogram("engine_runtime_state_write_time", "state write")
ENGINE_RUNTIME_NODE_READ_TIME = _histogram("engine_runtime_node_read_time", "node read")
ENGINE_RUNTIME_PROCESS_READ_TIME = _histogram("engine_runtime_process_read_time", "process read")
ENGINE_RUNTIME_EXECUTE_TASK_CLAIM_DELAY = _histogram(
    "engine_runtime_execute_task_claim_delay", "delay between sending and claiming an execute message"
)
ENGINE_RUNTIME_SCHEDULE_TASK_CLAIM_DELAY = _histogram(
    "engine_runtime_schedule_task_claim_delay", "delay between due time and claiming a schedule message"
)

_children: Dict[Tuple[int, Tuple[Tuple[str, str], ...]], Any] = {}


def labelled(metric: Any, **labels: Any) -> Any:
    """The child of ``metric`` for ``labels`` plus this host's ``hostname`` (cached)."""
    key = (id(metric), tuple(sorted(labels.items())))
    child = _children.get(key)
    if child is None:
        child = metric.labels(hostname=HOST_NAME, **labels)
        _children[key] = child
    return child


def setup_gauge(*gauges: Gauge) -> Callable:
    """Decorator: each gauge counts the calls of the function currently in progress."""

    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            children = [labelled(gauge) for gauge in gauges]
            for child in children:
                child.inc()
            try:
                return func(*args, **kwargs)
            finally:
                for child in children:
                    child.dec()

        return wrapper

    return decorator


def setup_histogram(*histograms: Histogram) -> Callable:
    """Decorator: each histogram observes the wall time of every call of the function."""

    def decorator(func: Callable) -> Callable:
        # The hostname-labelled children, looked up at the first call (the runtime's hot path calls
        # these wrappers a dozen times per node; a child, once made, lives as long as its metric).
        # A race between two first calls only looks the same children up twice.
        found: List[Optional[Tuple[Any, ...]]] = [None]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                children = found[0]
                if children is None:
                    children = found[0] = tuple(labelled(histogram) for histogram in histograms)
                for child in children:
                    child.observe(elapsed)

        return wrapper

    return decorator


@contextmanager
def observe(histogram: Histogram, **labels: Any) -> Iterator[None]:
    """Context manager: ``histogram`` (with ``labels`` + hostname) observes the block's wall time."""
    start = time.perf_counter()
    try:
        yield
    finally:
        labelled(histogram, **labels).observe(time.perf_counter() - start)


def inc_counter(counter: Counter, **labels: Any) -> None:
    """Increment ``counter`` by one for ``labels`` + hostname."""
    labelled(counter, **labels).inc()


def node_type_label(node: Any) -> str:
    """The ``type`` label of per-node timings: ``<code>_<version>`` for activities, else snake_case type."""
    code = getattr(node, "code", None)
    if code is not None and node.type.value == "ServiceActivity":
        return f"{code}_{node.version}"
    return _snake_case(node.type.value)


@functools.lru_cache(maxsize=64)
def _snake_case(name: str) -> str:
    chars = []
    for index, char in enumerate(name):
        if char.isupper() and index:
            chars.append("_")
        chars.append(char.lower())
    return "".join(chars)
