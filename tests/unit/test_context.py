"""Context resolution (PLAIN/SPLICE/COMPUTE), cycles, mute_error and output extraction."""

import pytest

from bamboo_engine.context import (
    Context,
    ContextHydrateError,
    load_context_for_keys,
    load_context_for_templates,
)
from bamboo_engine.eri.models.node import LoopControlConfig, Node, NodeType
from bamboo_engine.eri.models.runtime import ContextValue, ContextValueType, DataInput

PLAIN, SPLICE, COMPUTE = ContextValueType.PLAIN, ContextValueType.SPLICE, ContextValueType.COMPUTE


class StubVariable:
    def __init__(self, value):
        self.value = value

    def get(self):
        return self.value


class StubRuntime:
    """Just enough of the ERI for the Context: a dict-backed context store and compute variables."""

    def __init__(self, contexts=None, references=None, root_inputs=None):
        self.contexts = contexts or {}
        self.references = references or {}
        self.root_inputs = root_inputs or {}
        self.calls = []
        self.compute_calls = []

    def get_context_values(self, pipeline_id, keys):
        self.calls.append(("get_context_values", pipeline_id, set(keys)))
        context = self.contexts.get(pipeline_id, {})
        return [context[k] for k in keys if k in context]

    def get_context_key_references(self, pipeline_id, keys):
        self.calls.append(("get_context_key_references", pipeline_id, set(keys)))
        refs = set()
        for key in keys:
            refs |= self.references.get(pipeline_id, {}).get(key, set())
        return refs

    def upsert_plain_context_values(self, pipeline_id, update):
        self.calls.append(("upsert_plain_context_values", pipeline_id, dict(update)))
        context = self.contexts.setdefault(pipeline_id, {})
        for key, cv in update.items():
            context[key] = ContextValue(key, PLAIN, cv.value)

    def get_data_inputs(self, node_id):
        self.calls.append(("get_data_inputs", node_id))
        return {k: DataInput(False, v) for k, v in self.root_inputs.items()}

    def get_compute_variable(self, code, key, value, additional_data, inner_loop=-1):
        self.compute_calls.append((code, key, value.get(), dict(additional_data), inner_loop))
        if code == "upper":
            return StubVariable(str(value.get()).upper())
        if code == "pipeline_data":
            return StubVariable(additional_data.get("owner"))
        raise KeyError(f"compute variable {code} not registered")


def cv(key, type_, value, code=None):
    return ContextValue(key, type_, value, code)


def hydrate(values, **kwargs):
    return Context(StubRuntime(), values, {}).hydrate(**kwargs)


class TestResolution:
    def test_plain_values_are_returned_as_is(self):
        obj = {"a": [1, 2]}
        assert hydrate([cv("${x}", PLAIN, obj), cv("${n}", PLAIN, 3)]) == {"${x}": obj, "${n}": 3}

    def test_splice_renders_against_other_values(self):
        values = [cv("${a}", PLAIN, "world"), cv("${b}", SPLICE, "hello ${a}")]
        assert hydrate(values)["${b}"] == "hello world"

    def test_single_fragment_splice_keeps_the_object(self):
        values = [cv("${a}", PLAIN, {"k": 1}), cv("${b}", SPLICE, "${a}")]
        assert hydrate(values)["${b}"] == {"k": 1}

    def test_nested_references_resolve_recursively(self):
        values = [
            cv("${d}", SPLICE, "${c}!"),
            cv("${c}", SPLICE, "${b}-${a}"),
            cv("${b}", SPLICE, "${a}${a}"),
            cv("${a}", PLAIN, "x"),
        ]
        assert hydrate(values) == {"${a}": "x", "${b}": "xx", "${c}": "xx-x", "${d}": "xx-x!"}

    def test_expressions_and_containers_render(self):
        values = [
            cv("${n}", PLAIN, 2),
            cv("${expr}", SPLICE, "${n * 21}"),
            cv("${box}", SPLICE, {"v": ["${n}", "n=${n}"]}),
        ]
        hydrated = hydrate(values)
        assert hydrated["${expr}"] == "42"
        assert hydrated["${box}"] == {"v": [2, "n=2"]}

    def test_splice_source_value_is_not_mutated(self):
        source = {"v": "${n}"}
        hydrate([cv("${n}", PLAIN, 1), cv("${box}", SPLICE, source)])
        assert source == {"v": "${n}"}

    def test_deformat_strips_key_braces(self):
        assert hydrate([cv("${a}", PLAIN, 1)], deformat=True) == {"a": 1}

    def test_undefined_reference_is_left_as_text(self):
        assert hydrate([cv("${b}", SPLICE, "v=${missing}")])["${b}"] == "v=${missing}"

    def test_compute_gets_the_splice_rendered_value(self):
        runtime = StubRuntime()
        values = [cv("${name}", PLAIN, "bob"), cv("${up}", COMPUTE, "hi ${name}", code="upper")]
        hydrated = Context(runtime, values, {"owner": "root"}, inner_loop=3).hydrate()
        assert hydrated["${up}"] == "HI BOB"
        assert runtime.compute_calls == [("upper", "${up}", "hi bob", {"owner": "root"}, 3)]

    def test_splice_can_reference_a_compute_value(self):
        values = [cv("${up}", COMPUTE, "abc", code="upper"), cv("${s}", SPLICE, "<${up}>")]
        assert hydrate(values)["${s}"] == "<ABC>"

    def test_each_value_is_resolved_once(self):
        runtime = StubRuntime()
        values = [
            cv("${up}", COMPUTE, "x", code="upper"),
            cv("${a}", SPLICE, "${up}1"),
            cv("${b}", SPLICE, "${up}2"),
        ]
        Context(runtime, values, {}).hydrate()
        assert len(runtime.compute_calls) == 1


class TestCyclesAndErrors:
    def test_self_reference_stays_inert(self):
        assert hydrate([cv("${a}", SPLICE, "x${a}")]) == {"${a}": "x${a}"}

    def test_reference_cycle_terminates_with_inert_text(self):
        values = [cv("${a}", SPLICE, "a(${b})"), cv("${b}", SPLICE, "b(${a})")]
        hydrated = hydrate(values)
        # Where the cycle is cut depends on resolution order; both values stay finite text.
        assert hydrated["${a}"] in ("a(b(${a}))", "a(${b})")
        assert "${" in hydrated["${b}"]

    def test_long_reference_chain_does_not_hit_the_recursion_limit(self):
        # Deepest key first, so resolving it walks the whole chain at once.
        values = [cv(f"${{v{i}}}", SPLICE, f"${{v{i - 1}}}") for i in range(1200, 0, -1)]
        values.append(cv("${v0}", PLAIN, "x"))
        assert hydrate(values)["${v1200}"] == "x"

    def test_error_raises_a_typed_error_naming_the_key_without_mute(self):
        values = [cv("${bad}", COMPUTE, "x", code="unknown")]
        with pytest.raises(ContextHydrateError, match=r"\$\{bad\}: .*not registered") as info:
            hydrate(values)
        assert info.value.key == "${bad}" and isinstance(info.value.error, KeyError)

    def test_interrupt_errors_propagate_even_when_muted(self):
        class DatabaseDown(Exception):
            pass

        class FlakyRuntime(StubRuntime):
            def interrupt_errors(self):
                return (DatabaseDown,)

            def get_compute_variable(self, *args, **kwargs):
                raise DatabaseDown("gone")

        context = Context(FlakyRuntime(), [cv("${v}", COMPUTE, "x", code="upper")], {})
        with pytest.raises(DatabaseDown):
            context.hydrate(mute_error=True)

    def test_mute_error_gives_the_error_text(self):
        values = [cv("${bad}", COMPUTE, "x", code="unknown"), cv("${ok}", PLAIN, 1)]
        hydrated = hydrate(values, mute_error=True)
        assert hydrated["${ok}"] == 1
        assert "compute variable unknown not registered" in hydrated["${bad}"]

    def test_value_referencing_a_failing_value_fails_too(self):
        values = [cv("${bad}", COMPUTE, "x", code="unknown"), cv("${s}", SPLICE, "${bad}")]
        hydrated = hydrate(values, mute_error=True)
        assert "not registered" in hydrated["${s}"]


class TestLoading:
    def test_loads_referenced_keys_and_their_references(self):
        runtime = StubRuntime(
            contexts={
                "p": {
                    "${a}": cv("${a}", SPLICE, "${b}+"),
                    "${b}": cv("${b}", PLAIN, "B"),
                    "${unused}": cv("${unused}", PLAIN, 0),
                }
            },
            references={"p": {"${a}": {"${b}"}}},
        )
        context = load_context_for_templates(runtime, "p", {"x": "${a}", "y": ["${a}"]})
        assert context.hydrate() == {"${a}": "B+", "${b}": "B"}
        # the values are read first and their (plain) references right after: two calls
        assert [c[0] for c in runtime.calls] == ["get_context_values", "get_context_values"]

    def test_plain_values_cost_one_call(self):
        runtime = StubRuntime(
            contexts={"p": {"${a}": cv("${a}", PLAIN, "A"), "${b}": cv("${b}", PLAIN, "B")}},
            references={"p": {}},
        )
        context = load_context_for_templates(runtime, "p", "${a}-${b}-${missing}")
        assert context.hydrate() == {"${a}": "A", "${b}": "B"}
        assert runtime.calls == [("get_context_values", "p", {"${a}", "${b}", "${missing}"})]

    def test_deep_reference_chains_fall_back_to_the_stored_references(self):
        runtime = StubRuntime(
            contexts={
                "p": {
                    "${a}": cv("${a}", SPLICE, "${b}a"),
                    "${b}": cv("${b}", SPLICE, "${c}b"),
                    "${c}": cv("${c}", SPLICE, "${d}c"),
                    "${d}": cv("${d}", PLAIN, "d"),
                }
            },
            references={"p": {"${a}": {"${b}", "${c}", "${d}"}, "${b}": {"${c}", "${d}"}, "${c}": {"${d}"}}},
        )
        context = load_context_for_keys(runtime, "p", {"${a}"})
        assert context.hydrate()["${a}"] == "dcba"
        assert len(runtime.calls) <= 4

    def test_no_references_means_no_runtime_calls(self):
        runtime = StubRuntime()
        context = load_context_for_templates(runtime, "p", {"x": "plain text", "y": 1})
        assert context.hydrate() == {}
        assert runtime.calls == []

    def test_root_data_is_loaded_only_for_compute_values(self):
        runtime = StubRuntime(
            contexts={"p": {"${o}": cv("${o}", COMPUTE, "", code="pipeline_data")}},
            root_inputs={"owner": "alice"},
        )
        context = load_context_for_keys(runtime, "p", {"${o}"}, root_pipeline_id="root")
        assert context.hydrate() == {"${o}": "alice"}
        assert ("get_data_inputs", "root") in runtime.calls

    def test_extra_values_override_loaded_ones(self):
        runtime = StubRuntime(contexts={"p": {"${i}": cv("${i}", PLAIN, 1)}})
        context = load_context_for_keys(runtime, "p", {"${i}"}, extra_values=[cv("${i}", PLAIN, 5)])
        assert context.hydrate() == {"${i}": 5}


def loop_node(outputs_key="${results}", loop_times=3):
    return Node(
        id="n1",
        type=NodeType.ServiceActivity,
        target_flows=["f"],
        target_nodes=["n2"],
        targets={"f": "n2"},
        root_pipeline_id="p",
        parent_pipeline_id="p",
        loop_config=LoopControlConfig(loop_times=loop_times, outputs_key=outputs_key),
    )


class TestExtractOutputs:
    def test_maps_present_outputs_as_plain(self):
        runtime = StubRuntime()
        Context(runtime, [], {}).extract_outputs(
            "p", {"a": "${x}", "missing": "${y}"}, {"a": {"deep": 1}, "other": 2}
        )
        assert runtime.contexts["p"] == {"${x}": cv("${x}", PLAIN, {"deep": 1})}

    def test_nothing_to_map_makes_no_call(self):
        runtime = StubRuntime()
        Context(runtime, [], {}).extract_outputs("p", {"a": "${x}"}, {"b": 1})
        assert runtime.calls == []

    def test_loop_node_aggregates_iterations(self):
        runtime = StubRuntime()
        node = loop_node()
        data_outputs = {"outputs": "${results}", "a": "${a}"}
        for inner_loop in (1, 2):
            outputs = {
                "outputs": {"v": inner_loop * 10},
                "a": 1,
                "_result": inner_loop == 1,
                "_inner_loop": inner_loop,
            }
            Context(runtime, [], {}, inner_loop).extract_outputs("p", data_outputs, outputs, node=node)
        assert runtime.contexts["p"]["${results}"].value == [
            {"v": 10, "result": True, "inner_loop": 1},
            {"v": 20, "result": False, "inner_loop": 2},
        ]
        # individual keys are not mapped for loop nodes
        assert "${a}" not in runtime.contexts["p"]

    def test_first_iteration_starts_a_new_list(self):
        runtime = StubRuntime(contexts={"p": {"${results}": cv("${results}", PLAIN, [{"old": 1}])}})
        outputs = {"outputs": {"v": 1}, "_result": True, "_inner_loop": 1}
        Context(runtime, [], {}).extract_outputs("p", {"outputs": "${results}"}, outputs, node=loop_node())
        assert runtime.contexts["p"]["${results}"].value == [{"v": 1, "result": True, "inner_loop": 1}]

    def test_loop_outputs_key_without_braces_matches(self):
        runtime = StubRuntime()
        outputs = {"_result": True, "_inner_loop": 1}
        Context(runtime, [], {}).extract_outputs(
            "p", {"x": "${results}"}, outputs, node=loop_node(outputs_key="results")
        )
        assert runtime.contexts["p"]["${results}"].value == [{"result": True, "inner_loop": 1}]

    def test_loop_outputs_key_not_mapped_writes_nothing(self):
        runtime = StubRuntime()
        outputs = {"outputs": {"v": 1}, "_result": True, "_inner_loop": 1}
        Context(runtime, [], {}).extract_outputs("p", {"outputs": "${other}"}, outputs, node=loop_node())
        assert runtime.calls == []

    def test_extract_refreshes_values_held_by_the_context(self):
        runtime = StubRuntime()
        context = Context(runtime, [cv("${x}", PLAIN, 1), cv("${s}", SPLICE, "x=${x}")], {})
        assert context.hydrate()["${s}"] == "x=1"
        context.extract_outputs("p", {"a": "${x}"}, {"a": 2})
        assert context.hydrate()["${s}"] == "x=2"
