"""The import graph of the shipped packages, read from the source (AST) without importing anything.

Every ``import`` and ``from ... import`` statement counts, at module level or inside a function (a lazy
import is still a dependency), except those under ``if TYPE_CHECKING:`` (never executed). ``from a import
b`` is an edge to the module ``a.b`` when that module exists, else to ``a``. String constants that spell a
module path (``importlib.import_module("x.y")``, a setting's default) are collected apart: they are how a
dependency hides from the import statements.
"""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Set, Tuple

REPO_ROOT = Path(__file__).resolve().parents[2]
#: The packages the distribution ships (setup.py's ``find_packages``).
SHIPPED = ("bamboo_engine", "pipeline")
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


@dataclass
class Module:
    name: str
    path: Path
    #: ``(imported module, line, at module level)``.
    imports: List[Tuple[str, int, bool]] = field(default_factory=list)
    #: ``(dotted string, line)`` of string constants that are not docstrings.
    dotted_strings: List[Tuple[str, int]] = field(default_factory=list)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _docstring_nodes(tree: ast.AST) -> Set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


class _Collector(ast.NodeVisitor):
    def __init__(self, module: Module, is_package: bool, known: Set[str]):
        self.module = module
        self.is_package = is_package
        self.known = known
        self.depth = 0  # functions entered: imports below depth 0 run when the function runs

    def _visit_scope(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _visit_scope

    def visit_If(self, node: ast.If):
        if _is_type_checking(node):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def _add(self, name: str, line: int):
        self.module.imports.append((name, line, self.depth == 0))

    def visit_Import(self, node: ast.Import):
        for alias in node.names:
            self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom):
        base = self._base(node)
        for alias in node.names:
            candidate = f"{base}.{alias.name}" if base else alias.name
            self._add(candidate if candidate in self.known else base, node.lineno)

    def _base(self, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        parts = self.module.name.split(".")
        if not self.is_package:
            parts = parts[:-1]
        parts = parts[: len(parts) - (node.level - 1)]
        return ".".join(parts + ([node.module] if node.module else []))


def parse_modules(root: Path = REPO_ROOT, packages: Iterable[str] = SHIPPED) -> Dict[str, Module]:
    """Every module of ``packages`` under ``root``, with its imports and dotted strings."""
    paths = {module_name(path, root): path for package in packages for path in (root / package).rglob("*.py")}
    known = set(paths)
    modules = {}
    for name, path in sorted(paths.items()):
        module = Module(name, path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        _Collector(module, path.name == "__init__.py", known).visit(tree)
        docstrings = _docstring_nodes(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and _DOTTED.match(node.value)
            ):
                module.dotted_strings.append((node.value, node.lineno))
        modules[name] = module
    return modules


def root_of(name: str) -> str:
    return name.split(".", 1)[0]


def cycles(modules: Dict[str, Module]) -> List[List[str]]:
    """The import cycles among ``modules`` (strongly connected components of more than one module, or a
    module importing itself), each sorted, the list sorted."""
    graph = {
        name: sorted({target for target, _, _ in module.imports if target in modules and target})
        for name, module in modules.items()
    }
    found = [sorted(component) for component in _strongly_connected(graph)]
    return sorted(c for c in found if len(c) > 1 or c[0] in graph[c[0]])


def _strongly_connected(graph: Dict[str, List[str]]) -> Iterator[List[str]]:
    """Tarjan's algorithm, iterative (the graph has hundreds of modules)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                yield component
