"""Plugins, a hook-recording in-memory runtime and a tiny tree builder for the api control tests."""

from bamboo_engine import api
from bamboo_engine.plugin import LazyVariable, Service, StaticIntervalGenerator
from bamboo_engine.testing import InMemoryRuntime

# ---- plugins ---------------------------------------------------------------------------------------

SERVICE_HOOKS = []
#: The runtime attributes each hook saw (``version``, ``loop``, ``root_pipeline_id``).
SERVICE_HOOK_ATTRIBUTES = []


class EmptyService(Service):
    def execute(self, data, parent_data):
        data.set_outputs("out", data.get_one_of_inputs("value", "done"))
        return True


class FailService(Service):
    """Fails while input ``should_fail`` is truthy; loops: fails only when ``_inner_loop == fail_at``."""

    def execute(self, data, parent_data):
        data.set_outputs("out", "fail-node-output")
        data.set_outputs("outputs", {"n": data.get_one_of_inputs("_inner_loop")})
        fail_at = data.get_one_of_inputs("fail_at")
        if fail_at is not None:
            failed = int(fail_at) == int(data.get_one_of_inputs("_inner_loop"))
        else:
            failed = bool(data.get_one_of_inputs("should_fail", True))
        if failed:
            data.set_outputs("ex_data", "failed on purpose")
        return not failed


def _hook(name):
    def hook(self, data, parent_data, callback_data=None):
        SERVICE_HOOKS.append((name, getattr(self, "id", None)))
        SERVICE_HOOK_ATTRIBUTES.append(
            {key: getattr(self, key, None) for key in ("version", "loop", "root_pipeline_id")}
        )
        return True

    return hook


class CallbackService(Service):
    __need_schedule__ = True
    __need_run_hook__ = True

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        data.set_outputs("callback", callback_data)
        return (callback_data or {}).get("ok", True)

    pre_callback = _hook("pre_callback")
    post_callback = _hook("post_callback")
    pre_forced_fail_activity = _hook("pre_forced_fail_activity")
    post_forced_fail_activity = _hook("post_forced_fail_activity")
    pre_pause_node = _hook("pre_pause_node")
    post_pause_node = _hook("post_pause_node")
    pre_resume_node = _hook("pre_resume_node")
    post_resume_node = _hook("post_resume_node")


class PollForeverService(Service):
    """POLL every 5 s and never finish; counts its polls in the outputs."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(5)

    def execute(self, data, parent_data):
        data.set_outputs("polls", 0)
        return True

    def schedule(self, data, parent_data, callback_data=None):
        data.set_outputs("polls", data.get_one_of_outputs("polls", 0) + 1)
        return True


class HookedFailService(FailService):
    __need_run_hook__ = True

    def pre_retry_node(self, data, parent_data):
        SERVICE_HOOKS.append(("pre_retry_node", None))

    def post_retry_node(self, data, parent_data):
        SERVICE_HOOKS.append(("post_retry_node", None))

    def pre_skip_node(self, data, parent_data):
        SERVICE_HOOKS.append(("pre_skip_node", None))

    def post_skip_node(self, data, parent_data):
        SERVICE_HOOKS.append(("post_skip_node", None))


class UpperVariable(LazyVariable):
    code = "upper"

    def get_value(self):
        return str(self.value).upper()


API_HOOKS = [
    "prepare_run_pipeline", "pause_pipeline", "revoke_pipeline", "resume_pipeline", "resume_node",
    "pause_node", "retry_node", "skip_node", "skip_exclusive_gateway", "skip_conditional_parallel_gateway",
    "forced_fail_activity", "callback", "retry_subprocess",
]  # fmt: skip


class RecordingRuntime(InMemoryRuntime):
    """Records every api hook with the state of its subject at the time of the call."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.api_hook_states = []


def _recorder(name):
    def hook(self, *args, **kwargs):
        subject = args[0] if args else kwargs.get("node_id") or kwargs.get("pipeline_id")
        if isinstance(subject, dict):
            subject = subject["id"]
        state = self.get_state_or_none(subject)
        self.api_hook_states.append((name, state.name if state else None))
        return getattr(super(RecordingRuntime, self), name)(*args, **kwargs)

    return hook


for _op in API_HOOKS:
    for _phase in ("pre", "post"):
        setattr(RecordingRuntime, f"{_phase}_{_op}", _recorder(f"{_phase}_{_op}"))


def make_runtime():
    SERVICE_HOOKS.clear()
    SERVICE_HOOK_ATTRIBUTES.clear()
    runtime = RecordingRuntime(executor="sync")
    for code, cls in [
        ("empty", EmptyService),
        ("fail", FailService),
        ("callback", CallbackService),
        ("hooked_fail", HookedFailService),
        ("poll", PollForeverService),
    ]:
        runtime.register_service(code, cls)
    runtime.register_compute_variable("upper", UpperVariable)
    return runtime


# ---- trees -----------------------------------------------------------------------------------------

_MULTI_OUT = {"ExclusiveGateway", "ParallelGateway", "ConditionalParallelGateway"}


class Tree:
    """A hand-written pipeline tree: add nodes, link them, read ``.tree``."""

    def __init__(self, pipeline_id="root", start="start", end="end"):
        self.tree = {
            "id": pipeline_id,
            "start_event": {
                "id": start,
                "name": "",
                "type": "EmptyStartEvent",
                "incoming": "",
                "outgoing": "",
            },
            "end_event": {"id": end, "name": "", "type": "EmptyEndEvent", "incoming": [], "outgoing": ""},
            "activities": {},
            "gateways": {},
            "flows": {},
            "data": {"inputs": {}, "outputs": []},
        }
        self.nodes = {start: self.tree["start_event"], end: self.tree["end_event"]}

    def act(self, node_id, code, inputs=None, **extra):
        node = {
            "id": node_id, "name": node_id, "type": "ServiceActivity", "incoming": [], "outgoing": "",
            "error_ignorable": False, "skippable": True, "retryable": True, "optional": False,
            "component": {"code": code, "inputs": {k: _var(v) for k, v in (inputs or {}).items()}},
        }  # fmt: skip
        node.update(extra)
        return self._add("activities", node)

    def subprocess(self, node_id, child, params=None):
        node = {"id": node_id, "name": node_id, "type": "SubProcess", "incoming": [], "outgoing": ""}
        node.update(params=params or {}, pipeline=child.tree)
        return self._add("activities", node)

    def gateway(self, node_id, gateway_type, conditions=None):
        node = {"id": node_id, "name": node_id, "type": gateway_type, "incoming": [], "outgoing": ""}
        if gateway_type in _MULTI_OUT:
            node["outgoing"] = []
        if conditions is not None:
            node.update(conditions={}, default_condition={}, pending_conditions=conditions)
        return self._add("gateways", node)

    def _add(self, group, node):
        self.tree[group][node["id"]] = node
        self.nodes[node["id"]] = node
        return self

    def link(self, *node_ids):
        for source, target in zip(node_ids, node_ids[1:], strict=False):
            flow_id = f"f{source}_{target}"
            self.tree["flows"][flow_id] = {
                "id": flow_id,
                "source": source,
                "target": target,
                "is_default": False,
            }
            src, dst = self.nodes[source], self.nodes[target]
            if isinstance(src["outgoing"], list):
                src["outgoing"].append(flow_id)
                if "pending_conditions" in src:
                    src["conditions"][flow_id] = {"evaluate": src["pending_conditions"][target]}
            else:
                src["outgoing"] = flow_id
            dst["incoming"].append(flow_id)
        return self

    def build(self):
        for node in self.nodes.values():
            node.pop("pending_conditions", None)
        return self.tree


def _var(value):
    if isinstance(value, dict) and "type" in value:
        return value
    return {"type": "plain", "value": value}


def linear(*acts):
    """start -> acts -> end, each act a (node_id, code, inputs) tuple."""
    tree = Tree()
    for node_id, code, inputs in acts:
        tree.act(node_id, code, inputs)
    return tree.link("start", *[a[0] for a in acts], "end").build()


# ---- helpers ---------------------------------------------------------------------------------------


def start(rt, tree, **options):
    result = api.run_pipeline(rt, tree, **options)
    assert result.result, result.exc_trace
    rt.run_until_idle()
    return tree["id"]


def snapshot(rt, root_id="root"):
    """Everything a refused operation must leave untouched."""
    return (
        api.get_pipeline_states(rt, root_id).data,
        [vars(p) for p in rt.get_process_info_with_root_pipeline(root_id)],
        len(rt.task_log),
        {cv.key: cv.value for cv in rt.get_context(root_id)},
    )


def assert_refused(rt, call, exc_type, *fragments):
    before = snapshot(rt)
    hooks_before = list(rt.api_hook_states)
    result = call()
    assert result.result is False and result.message == "fail"
    assert isinstance(result.exc, exc_type), result.exc_trace
    for fragment in fragments:
        assert fragment in str(result.exc), f"{fragment!r} not in {result.exc}"
    assert snapshot(rt) == before
    assert rt.api_hook_states == hooks_before


def state(rt, node_id):
    return rt.get_state(node_id)
