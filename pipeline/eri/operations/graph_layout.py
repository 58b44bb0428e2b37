"""A layered left-to-right layout of one pipeline's nodes, for the graph view.

Each node gets a ``rank`` (its column: the longest path from a node without predecessors, so every
forward flow goes right) and a ``row`` (its line: near the median row of its predecessors, distinct in
its column). The page turns ranks and rows into pixels with the sizes of the nodes it draws, which lets
a subprocess grow in place when it is expanded without asking the server again.

Flows that close a loop (found by a depth-first search from the start event) are *back* flows: they are
left out of the ranking, so that a loop does not push its own start to the right, and drawn apart.

Pure Python, linear in nodes and flows apart from sorting each column: a 1,000-node pipeline lays out in
milliseconds.
"""

import math
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Sequence, Tuple


@dataclass(frozen=True)
class Placement:
    """Where a node goes: its column and its line (lines may be negative; the page shifts them)."""

    rank: int
    row: int


@dataclass(frozen=True)
class Layout:
    """The placement of every node and the indexes (in the given flow list) of the back flows."""

    placements: Dict[str, Placement]
    back_flows: FrozenSet[int]


def layered_layout(node_ids: Sequence[str], flows: Sequence[Tuple[str, str]], start_id: str = "") -> Layout:
    """Lays out ``node_ids`` joined by ``flows`` (``(source, target)`` pairs) from ``start_id``.

    Flows naming a node outside ``node_ids`` are ignored (they belong to another pipeline).
    """
    known = set(node_ids)
    edges = [(index, s, t) for index, (s, t) in enumerate(flows) if s in known and t in known]
    back = back_flows(node_ids, flows, start_id)
    forward = [(index, s, t) for index, s, t in edges if index not in back]
    ranks = _ranks(node_ids, forward)
    rows = _rows(node_ids, forward, ranks)
    placements = {node_id: Placement(ranks[node_id], rows[node_id]) for node_id in node_ids}
    return Layout(placements, frozenset(back))


def back_flows(
    node_ids: Sequence[str], flows: Sequence[Tuple[str, str]], start_id: str = ""
) -> FrozenSet[int]:
    """Indexes of the flows closing a loop, as :func:`layered_layout` finds them (without the layout)."""
    known = set(node_ids)
    outgoing: Dict[str, List[Tuple[int, str]]] = {node_id: [] for node_id in node_ids}
    for index, (source, target) in enumerate(flows):
        if source in known and target in known:
            outgoing[source].append((index, target))
    return frozenset(_back_flows(([start_id] if start_id in known else []) + list(node_ids), outgoing))


def _back_flows(roots: Sequence[str], outgoing: Dict[str, List[Tuple[int, str]]]) -> set:
    """Flows that reach a node still on the depth-first path: the ones closing a loop.

    Iterative, so that a 1,000-node chain does not hit Python's recursion limit.
    """
    on_path: set = set()
    done: set = set()
    back: set = set()
    for root in roots:
        if root in done:
            continue
        on_path.add(root)
        stack = [(root, iter(outgoing[root]))]
        while stack:
            node_id, pending = stack[-1]
            step = next(pending, None)
            if step is None:
                stack.pop()
                on_path.discard(node_id)
                done.add(node_id)
                continue
            index, target = step
            if target in on_path:
                back.add(index)
            elif target not in done:
                on_path.add(target)
                stack.append((target, iter(outgoing[target])))
    return back


def _ranks(node_ids: Sequence[str], forward: List[Tuple[int, str, str]]) -> Dict[str, int]:
    """Longest-path ranks over the forward flows, in topological order (Kahn)."""
    ranks = dict.fromkeys(node_ids, 0)
    waiting = dict.fromkeys(node_ids, 0)
    targets: Dict[str, List[str]] = {node_id: [] for node_id in node_ids}
    for _, source, target in forward:
        waiting[target] += 1
        targets[source].append(target)
    ready = [node_id for node_id in node_ids if waiting[node_id] == 0]
    while ready:
        node_id = ready.pop()
        for target in targets[node_id]:
            ranks[target] = max(ranks[target], ranks[node_id] + 1)
            waiting[target] -= 1
            if waiting[target] == 0:
                ready.append(target)
    return ranks


def _rows(
    node_ids: Sequence[str], forward: List[Tuple[int, str, str]], ranks: Dict[str, int]
) -> Dict[str, int]:
    """Rows column by column: each node wants the median row of its predecessors (a fork's targets, in
    the fork's flow order, spread around the fork's row); clashes in a column push nodes apart."""
    predecessors: Dict[str, List[Tuple[str, int]]] = {node_id: [] for node_id in node_ids}
    for order, (_, source, target) in enumerate(forward):
        predecessors[target].append((source, order))
    columns: Dict[int, List[str]] = {}
    for node_id in node_ids:
        columns.setdefault(ranks[node_id], []).append(node_id)
    rows: Dict[str, int] = {}
    for rank in sorted(columns):
        wanted = []
        for position, node_id in enumerate(columns[rank]):
            preds = predecessors[node_id]
            if preds:
                desired = _median([rows[source] for source, _ in preds])
                tie = min((rows[source], order) for source, order in preds)
            else:
                desired, tie = 0.0, (0, position)
            wanted.append((desired, tie, node_id))
        wanted.sort(key=lambda item: (item[0], item[1]))
        placed: List[int] = []
        for desired, _, _ in wanted:
            row = _round(desired)
            placed.append(row if not placed else max(row, placed[-1] + 1))
        shift = _round(sum(item[0] for item in wanted) / len(wanted) - sum(placed) / len(placed))
        for (_, _, node_id), row in zip(wanted, placed, strict=True):
            rows[node_id] = row + shift
    return rows


def _median(values: List[int]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _round(value: float) -> int:
    """Half up (Python's ``round`` goes to even, which would make layouts jump between 0 and 1)."""
    return math.floor(value + 0.5)
