"""Gateway handlers through whole pipelines: branch choice, strategies, forks and ex_data texts."""

import pytest

from bamboo_engine import states
from bamboo_engine.builder import (
    ConditionalParallelGateway,
    ConvergeGateway,
    Data,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    NodeOutput,
    ParallelGateway,
    ServiceActivity,
    Var,
    build_tree,
)
from tests.unit.handler_helpers import context, make_runtime, outputs, run, state


def gateway_tree(gateway, branches=2, x=1, extra_info=None, default_index=None):
    """start -> gateway -> branch activities -> converge -> end, with ``${x}`` in the context."""
    start, converge, end = EmptyStartEvent(), ConvergeGateway(), EmptyEndEvent()
    acts = []
    for index in range(branches):
        act = ServiceActivity(component_code="echo")
        act.component.inputs.branch = Var(type=Var.PLAIN, value=index)
        acts.append(act)
    start.extend(gateway).connect(*acts).converge(converge).extend(end)
    data = Data()
    data.inputs["${x}"] = Var(type=Var.PLAIN, value=x)
    tree = build_tree(start, data=data)
    gw = tree["gateways"][gateway.id]
    if extra_info is not None:
        gw["extra_info"] = extra_info
    if default_index is not None:
        # The builder needs an expression for every flow; drop the default flow's one so that only
        # the default rule can select it.
        gw["default_condition"] = {"flow_id": gw["outgoing"][default_index]}
        gw["conditions"].pop(gw["outgoing"][default_index])
    return tree, acts, converge, end


def ran(rt, acts):
    return [rt.has_state(act.id) for act in acts]


class TestExclusiveGateway:
    def test_takes_the_single_true_branch(self):
        rt = make_runtime()
        gw = ExclusiveGateway(conditions={0: "${x} == 1", 1: "${x} == 2"})
        tree, acts, _, end = gateway_tree(gw, x=2)
        run(rt, tree)
        assert state(rt, gw.id) == states.FINISHED
        assert ran(rt, acts) == [False, True]
        assert state(rt, end.id) == states.FINISHED

    def test_no_condition_meets(self):
        rt = make_runtime()
        gw = ExclusiveGateway(conditions={0: "${x} == 5", 1: "${x} == 6"})
        tree, acts, _, _ = gateway_tree(gw)
        run(rt, tree)
        assert state(rt, gw.id) == states.FAILED
        assert outputs(rt, gw.id)["ex_data"] == "all conditions of branches are not meet"
        assert ran(rt, acts) == [False, False]

    def test_multiple_conditions_meet_with_only_strategy(self):
        rt = make_runtime()
        gw = ExclusiveGateway(conditions={0: "${x} >= 1", 1: "${x} < 5"})
        tree, _, _, _ = gateway_tree(gw)
        run(rt, tree)
        flows = tree["gateways"][gw.id]["outgoing"]
        assert state(rt, gw.id) == states.FAILED
        assert outputs(rt, gw.id)["ex_data"] == f"multiple conditions meet: {flows}"

    @pytest.mark.parametrize("strategy", ["FIRST", "first", 2])
    def test_first_strategy_from_extra_info(self, strategy):
        rt = make_runtime()
        gw = ExclusiveGateway(conditions={0: "${x} >= 1", 1: "${x} < 5"})
        tree, acts, _, end = gateway_tree(gw, extra_info={"strategy": strategy})
        run(rt, tree)
        assert state(rt, gw.id) == states.FINISHED
        assert ran(rt, acts) == [True, False]
        assert state(rt, end.id) == states.FINISHED

    def test_first_strategy_from_runtime_config(self):
        rt = make_runtime()
        rt.config_overrides["PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY"] = 2
        gw = ExclusiveGateway(conditions={0: "${x} >= 1", 1: "${x} < 5"})
        tree, acts, _, _ = gateway_tree(gw)
        run(rt, tree)
        assert ran(rt, acts) == [True, False]

    def test_only_in_extra_info_overrides_first_config(self):
        rt = make_runtime()
        rt.config_overrides["PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY"] = 2
        gw = ExclusiveGateway(conditions={0: "${x} >= 1", 1: "${x} < 5"})
        tree, _, _, _ = gateway_tree(gw, extra_info={"strategy": "ONLY"})
        run(rt, tree)
        assert outputs(rt, gw.id)["ex_data"].startswith("multiple conditions meet: ")

    def test_default_flow_only_when_nothing_meets(self):
        rt = make_runtime()
        gw = ExclusiveGateway(conditions={0: "${x} == 9", 1: "${x} == 1", 2: "${x} == 1"})
        tree, acts, _, _ = gateway_tree(gw, branches=3, default_index=2)
        run(rt, tree)
        assert ran(rt, acts) == [False, True, False]

        rt = make_runtime()
        gw = ExclusiveGateway(conditions={0: "${x} == 9", 1: "${x} == 8", 2: "${x} == 1"})
        tree, acts, _, _ = gateway_tree(gw, branches=3, default_index=2)
        run(rt, tree)
        assert ran(rt, acts) == [False, False, True]

    def test_unparsable_expression_names_expression_and_data(self):
        rt = make_runtime()
        gw = ExclusiveGateway(conditions={0: "${x} ==", 1: "${x} == 2"})
        tree, _, _, _ = gateway_tree(gw)
        run(rt, tree)
        assert state(rt, gw.id) == states.FAILED
        ex_data = outputs(rt, gw.id)["ex_data"]
        assert ex_data.startswith('evaluate[${x} ==] fail with data[{"x": 1}] message: ')
        assert "boolrule" in ex_data

    def test_expr_func_error_text(self):
        def broken(expr, context, extra_info, *args, **kwargs):
            raise RuntimeError("no way")

        rt = make_runtime()
        rt.config_overrides["PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC"] = broken
        gw = ExclusiveGateway(conditions={0: "${x} == 1", 1: "${x} == 2"})
        tree, _, _, _ = gateway_tree(gw)
        run(rt, tree)
        assert outputs(rt, gw.id)["ex_data"] == 'evaluate[${x} == 1] fail with data[{"x": 1}] message: no way'

    def test_expr_func_receives_rendered_expression_and_extra_info(self):
        seen = []

        def recording(expr, context, extra_info, *args, **kwargs):
            seen.append((expr, dict(context), extra_info))
            return expr == "1 == 1"

        rt = make_runtime()
        rt.config_overrides["PIPELINE_EXCLUSIVE_GATEWAY_EXPR_FUNC"] = recording
        gw = ExclusiveGateway(conditions={0: "${x} == 1", 1: "${x} == 2"})
        tree, acts, _, _ = gateway_tree(gw, extra_info={"tag": "t"})
        run(rt, tree)
        assert seen == [("1 == 1", {"x": 1}, {"tag": "t"}), ("1 == 2", {"x": 1}, {"tag": "t"})]
        assert ran(rt, acts) == [True, False]

    def test_context_hydrate_failure_text(self):
        rt = make_runtime()
        gw = ExclusiveGateway(conditions={0: "${bad} == 1", 1: "${x} == 2"})
        tree, _, _, _ = gateway_tree(gw)
        tree["data"]["inputs"]["${bad}"] = {"type": "lazy", "value": "v", "custom_type": "not-registered"}
        run(rt, tree)
        ex_data = outputs(rt, gw.id)["ex_data"]
        assert ex_data.startswith("evaluation context hydrate failed(")
        assert ex_data.endswith("), check node log for details.")

    def test_escaped_values_are_unescaped_before_evaluation(self):
        rt = make_runtime()
        gw = ExclusiveGateway(conditions={0: '"${x}" == "a<b"', 1: '"${x}" != "a<b"'})
        tree, acts, _, _ = gateway_tree(gw, x="a&lt;b")
        tree["data"]["inputs"]["${x}"]["value"] = "a&lt;b"
        run(rt, tree)
        assert ran(rt, acts) == [True, False]

    def test_conditions_see_upstream_outputs(self):
        rt = make_runtime()
        producer = ServiceActivity(component_code="echo")
        producer.component.inputs.usage = Var(type=Var.PLAIN, value=93)
        gw = ExclusiveGateway(conditions={0: "${usage} >= 90", 1: "${usage} < 90"})
        start, converge, end = EmptyStartEvent(), ConvergeGateway(), EmptyEndEvent()
        alert, noop = ServiceActivity(component_code="echo"), ServiceActivity(component_code="echo")
        start.extend(producer).extend(gw).connect(alert, noop).converge(converge).extend(end)
        data = Data()
        data.inputs["${usage}"] = NodeOutput(source_act=producer.id, source_key="usage", type=Var.PLAIN)
        run(rt, build_tree(start, data=data))
        assert ran(rt, [alert, noop]) == [True, False]


class TestParallelGateways:
    def test_parallel_gateway_runs_every_branch_then_converges(self):
        rt = make_runtime()
        gw = ParallelGateway()
        tree, acts, converge, end = gateway_tree(gw, branches=3)
        run(rt, tree)
        assert state(rt, gw.id) == states.FINISHED
        assert [state(rt, act.id) for act in acts] == [states.FINISHED] * 3
        assert state(rt, converge.id) == states.FINISHED
        assert state(rt, tree["id"]) == states.FINISHED

    def test_conditional_parallel_forks_true_branches_only(self):
        rt = make_runtime()
        gw = ConditionalParallelGateway(conditions={0: "${x} == 1", 1: "${x} == 2", 2: "${x} > 0"})
        tree, acts, converge, end = gateway_tree(gw, branches=3)
        run(rt, tree)
        assert ran(rt, acts) == [True, False, True]
        assert state(rt, end.id) == states.FINISHED

    def test_conditional_parallel_default_when_nothing_meets(self):
        rt = make_runtime()
        gw = ConditionalParallelGateway(conditions={0: "${x} == 5", 1: "${x} == 6", 2: "${x} == 1"})
        tree, acts, _, end = gateway_tree(gw, branches=3, default_index=2)
        run(rt, tree)
        assert ran(rt, acts) == [False, False, True]
        assert state(rt, end.id) == states.FINISHED

    def test_conditional_parallel_no_branch_fails(self):
        rt = make_runtime()
        gw = ConditionalParallelGateway(conditions={0: "${x} == 5", 1: "${x} == 6"})
        tree, acts, _, _ = gateway_tree(gw)
        run(rt, tree)
        assert state(rt, gw.id) == states.FAILED
        assert outputs(rt, gw.id)["ex_data"] == "all conditions of branches are not meet"

    def test_conditional_parallel_evaluation_error_fails(self):
        rt = make_runtime()
        gw = ConditionalParallelGateway(conditions={0: "${x} ==", 1: "${x} == 1"})
        tree, acts, _, _ = gateway_tree(gw)
        run(rt, tree)
        assert state(rt, gw.id) == states.FAILED
        assert outputs(rt, gw.id)["ex_data"].startswith("evaluate[${x} ==] fail with data[")
        assert ran(rt, acts) == [False, False]

    def test_parallel_branch_outputs_reach_the_context(self):
        rt = make_runtime()
        gw = ParallelGateway()
        tree, acts, _, _ = gateway_tree(gw, branches=2)
        for index, act in enumerate(acts):
            tree["data"]["inputs"][f"${{b{index}}}"] = {
                "type": "plain",
                "value": None,
                "source_act": act.id,
                "source_key": "branch",
            }
        run(rt, tree)
        values = context(rt, tree["id"])
        assert (values["${b0}"], values["${b1}"]) == (0, 1)
