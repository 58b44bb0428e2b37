"""List/set/dict comprehensions and generator expressions for the template evaluator.

Every iteration spends budget and every produced element is weighed, so ``[l for i in range(10**6)]``
(a million references to one big list) is refused long before ``str()`` would blow up.
"""

import ast
import itertools
from typing import Any, Callable, Dict, FrozenSet, List, Tuple

from bamboo_engine.template import sandbox
from bamboo_engine.utils.mako_safety import TemplateSandboxError

Scope = Dict[str, Any]
Evaluator = Callable[[Any, Scope], Any]
CompileNode = Callable[[ast.AST, FrozenSet[str]], Evaluator]
Assign = Callable[[Scope, Any], None]
Step = Tuple[Evaluator, Assign, List[Evaluator]]


def compilers(compile_node: CompileNode) -> Dict[type, Callable[[Any, FrozenSet[str]], Evaluator]]:
    """Compilers for the comprehension node types, built on the evaluator's node compiler."""

    def sequence(
        factory: Callable[[list], Any], lazy: bool = False
    ) -> Callable[[Any, FrozenSet[str]], Evaluator]:
        def compile_comprehension(node: Any, bound: FrozenSet[str]) -> Evaluator:
            steps, inner = _compile_steps(node.generators, bound, compile_node)
            element = compile_node(node.elt, inner)

            def evaluate(runtime: Any, scope: Scope) -> Any:
                collector = _Collector(runtime.budget)
                _run(steps, runtime, scope, lambda values: collector.add(element(runtime, values)))
                # Generator expressions are evaluated eagerly: bounded, and no generator frame to poke at.
                return iter(collector.items) if lazy else factory(collector.items)

            return evaluate

        return compile_comprehension

    def mapping(node: ast.DictComp, bound: FrozenSet[str]) -> Evaluator:
        steps, inner = _compile_steps(node.generators, bound, compile_node)
        key, value = compile_node(node.key, inner), compile_node(node.value, inner)

        def evaluate(runtime: Any, scope: Scope) -> Any:
            collector = _Collector(runtime.budget)
            _run(
                steps,
                runtime,
                scope,
                lambda values: collector.add((key(runtime, values), value(runtime, values))),
            )
            return dict(collector.items)

        return evaluate

    return {
        ast.ListComp: sequence(list),
        ast.SetComp: sequence(set),
        ast.GeneratorExp: sequence(list, lazy=True),
        ast.DictComp: mapping,
    }


class _Collector:
    """Accumulates comprehension results while keeping their total weight under the output limit."""

    __slots__ = ("budget", "items", "total")

    def __init__(self, budget: sandbox.Budget) -> None:
        self.budget = budget
        self.items: list = []
        self.total = 0

    def add(self, item: Any) -> None:
        size = sandbox.weight(item, sandbox.MAX_OUTPUT_SIZE - self.total)
        self.budget.spend(size)
        self.total += size
        if self.total > sandbox.MAX_OUTPUT_SIZE:
            raise sandbox.SandboxLimitError("comprehension result is too large")
        self.items.append(item)


def _compile_steps(generators: List[ast.comprehension], bound: FrozenSet[str], compile_node: CompileNode):
    steps: List[Step] = []
    inner = bound
    for index, generator in enumerate(generators):
        # The first iterable is evaluated in the enclosing scope, later ones see earlier targets.
        iterable = compile_node(generator.iter, bound if index == 0 else inner)
        inner = inner | _target_names(generator.target)
        conditions = [compile_node(condition, inner) for condition in generator.ifs]
        steps.append((iterable, _assigner(generator.target), conditions))
    return steps, inner


def _target_names(target: ast.AST) -> FrozenSet[str]:
    return frozenset(node.id for node in ast.walk(target) if isinstance(node, ast.Name))


def _assigner(target: ast.AST) -> Assign:
    if isinstance(target, ast.Name):
        name = target.id

        def assign_name(scope: Scope, value: Any) -> None:
            scope[name] = value

        return assign_name
    if isinstance(target, ast.Tuple | ast.List):
        parts = [_assigner(element) for element in target.elts]

        def assign_unpacked(scope: Scope, value: Any) -> None:
            values = list(itertools.islice(iter(value), len(parts) + 1))
            if len(values) != len(parts):
                raise ValueError(f"cannot unpack {len(values)} values into {len(parts)} targets")
            for part, item in zip(parts, values, strict=False):
                part(scope, item)

        return assign_unpacked
    raise TemplateSandboxError(f"{type(target).__name__} is not allowed as a comprehension target")


def _run(steps: List[Step], runtime: Any, scope: Scope, emit: Callable[[Scope], None]) -> None:
    _loop(steps, 0, runtime, scope, dict(scope), emit)


def _loop(steps: List[Step], index: int, runtime: Any, outer: Scope, inner: Scope, emit) -> None:
    iterable, assign, conditions = steps[index]
    budget = runtime.budget
    last = index == len(steps) - 1
    for item in iterable(runtime, outer if index == 0 else inner):
        budget.spend(sandbox.STEP_COST)
        assign(inner, item)
        if all(condition(runtime, inner) for condition in conditions):
            if last:
                emit(inner)
            else:
                _loop(steps, index + 1, runtime, outer, inner, emit)
