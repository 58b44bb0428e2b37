"""Left-to-right layered layout of one process level, for the BPMN diagram (DI) section.

Columns ("layers") are longest-path distances from the start node over the graph with its loop-back
edges removed, so every forward flow points right. Rows are tracks: a node inherits the row of the node
that first reached it in a depth-first walk, and every further branch of a split opens a new row below
all rows used so far (rows are then stacked as a skyline, see :func:`_place`). A row is therefore one
chain of nodes with strictly growing columns, which is why two nodes never share a cell, and why the main
path of a pipeline is drawn as one straight line.

Sizes are inputs, so an expanded subprocess (whose size is the extent of its own layout) takes a larger
cell without special cases. Coordinates are relative to the level's origin; the exporter offsets them.
"""

from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Set, Tuple

Point = Tuple[float, float]

#: Horizontal space between two columns and vertical space between two rows.
COLUMN_GAP = 60.0
ROW_GAP = 40.0
#: Vertical space between the lanes of flows looping back to an earlier column.
LOOP_GAP = 15.0


@dataclass(frozen=True)
class Edge:
    """A flow to draw: its id and the ids of its source and target nodes."""

    id: str
    source: str
    target: str


@dataclass(frozen=True)
class Box:
    """The bounds of a placed node."""

    x: float
    y: float
    width: float
    height: float

    @property
    def center_y(self) -> float:
        return self.y + self.height / 2

    @property
    def center_x(self) -> float:
        return self.x + self.width / 2

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height


@dataclass
class Layout:
    """The placed nodes, the routed edges and the extent of everything drawn."""

    boxes: Dict[str, Box] = field(default_factory=dict)
    waypoints: Dict[str, List[Point]] = field(default_factory=dict)
    width: float = 0.0
    height: float = 0.0


def layered_layout(sizes: Dict[str, Tuple[float, float]], edges: Sequence[Edge], start: str) -> Layout:
    """Place ``sizes``' nodes (``{node_id: (width, height)}``) and route ``edges`` between them.

    Args:
        sizes: every node of the level, in a stable order (nodes unreachable from ``start`` are placed
            after the reachable ones, in this order).
        edges: the flows of the level; an edge naming an unknown node is ignored.
        start: the node drawn in the first column.
    """
    successors: Dict[str, List[Edge]] = {node: [] for node in sizes}
    for edge in edges:
        if edge.source in sizes and edge.target in sizes:
            successors[edge.source].append(edge)
    order, back_edges, rows = _walk(sizes, successors, start)
    columns = _columns(order, successors, back_edges)
    boxes, width, height = _place(sizes, columns, rows, successors)
    layout = Layout(boxes=boxes, width=width, height=height)
    loop_y = height
    out_degree = {node: len(successors[node]) for node in sizes}
    for edge in edges:
        if edge.source not in boxes or edge.target not in boxes:
            continue
        source, target = boxes[edge.source], boxes[edge.target]
        if edge.id in back_edges or target.x <= source.x:
            # Each loop gets its own lane below the level, so two loops never share a segment.
            loop_y += LOOP_GAP
            layout.waypoints[edge.id] = _loop_route(source, target, loop_y)
            layout.height = loop_y + LOOP_GAP
        else:
            layout.waypoints[edge.id] = _forward_route(source, target, out_degree[edge.source] > 1)
    return layout


def _walk(
    sizes: Dict[str, Tuple[float, float]], successors: Dict[str, List[Edge]], start: str
) -> Tuple[List[str], Set[str], Dict[str, int]]:
    """Depth-first walk: discovery order, the loop-back edge ids, and each node's row."""
    order: List[str] = []
    back_edges: Set[str] = set()
    rows: Dict[str, int] = {}
    on_stack: Set[str] = set()
    handed_row: Set[str] = set()
    next_row = 0
    roots = [start] if start in sizes else []
    roots += [node for node in sizes if node != start]
    for root in roots:
        if root in rows:
            continue
        rows[root] = next_row
        next_row += 1
        order.append(root)
        on_stack.add(root)
        stack: List[Tuple[str, int]] = [(root, 0)]
        while stack:
            node, index = stack[-1]
            if index == len(successors[node]):
                stack.pop()
                on_stack.discard(node)
                continue
            stack[-1] = (node, index + 1)
            edge = successors[node][index]
            if edge.target in on_stack:
                back_edges.add(edge.id)
                continue
            if edge.target in rows:
                continue
            if node not in handed_row:
                handed_row.add(node)
                rows[edge.target] = rows[node]
            else:
                rows[edge.target] = next_row
            next_row = max(next_row, rows[edge.target] + 1)
            order.append(edge.target)
            on_stack.add(edge.target)
            stack.append((edge.target, 0))
    return order, back_edges, rows


def _columns(order: List[str], successors: Dict[str, List[Edge]], back_edges: Set[str]) -> Dict[str, int]:
    """Longest-path column of every node over the forward edges (a topological pass)."""
    indegree = {node: 0 for node in order}
    for node in order:
        for edge in successors[node]:
            if edge.id not in back_edges:
                indegree[edge.target] += 1
    columns = {node: 0 for node in order}
    ready = [node for node in order if indegree[node] == 0]
    while ready:
        node = ready.pop(0)
        for edge in successors[node]:
            if edge.id in back_edges:
                continue
            columns[edge.target] = max(columns[edge.target], columns[node] + 1)
            indegree[edge.target] -= 1
            if indegree[edge.target] == 0:
                ready.append(edge.target)
    return columns


def _place(
    sizes: Dict[str, Tuple[float, float]],
    columns: Dict[str, int],
    rows: Dict[str, int],
    successors: Dict[str, List[Edge]],
) -> Tuple[Dict[str, Box], float, float]:
    """Boxes centred on their row's line and in their column.

    Rows are stacked like a skyline: a row's line sits just below whatever earlier rows put in the
    columns it spans (its nodes, and its flows up to the column before the node they join), so one tall
    subprocess only pushes down the rows drawn under it, and no row's flows cross an earlier row's nodes.
    """
    column_width: Dict[int, float] = {}
    for node, (width, _) in sizes.items():
        column_width[columns[node]] = max(column_width.get(columns[node], 0.0), width)
    column_x, x = {}, 0.0
    for column in sorted(column_width):
        column_x[column] = x
        x += column_width[column] + COLUMN_GAP
    members: Dict[int, List[str]] = {}
    for node in sizes:
        members.setdefault(rows[node], []).append(node)
    column_bottom: Dict[int, float] = {}
    boxes = {}
    for row in sorted(members):
        first = min(columns[node] for node in members[row])
        last = max(
            [columns[node] for node in members[row]]
            + [columns[edge.target] - 1 for node in members[row] for edge in successors[node]]
        )
        # The line clears what earlier rows left in every column it spans (its flows run there), and
        # each of its nodes clears what is above it in its own column.
        floors = {column: column_bottom.get(column, -ROW_GAP) + ROW_GAP for column in range(first, last + 1)}
        line = max([*floors.values()] + [floors[columns[node]] + sizes[node][1] / 2 for node in members[row]])
        for column in range(first, last + 1):
            column_bottom[column] = max(column_bottom.get(column, -ROW_GAP), line)
        for node in members[row]:
            width, height = sizes[node]
            column = columns[node]
            x_left = column_x[column] + (column_width[column] - width) / 2
            boxes[node] = Box(x_left, line - height / 2, width, height)
            column_bottom[column] = max(column_bottom[column], line + height / 2)
    height = max((box.bottom for box in boxes.values()), default=0.0)
    return boxes, max(x - COLUMN_GAP, 0.0), height


def _forward_route(source: Box, target: Box, from_split: bool) -> List[Point]:
    """Right side of the source to the left side of the target, bending in the gap next to the split
    (for a split's branches) or next to the target (for joins), where that gap's row is free."""
    start, end = (source.right, source.center_y), (target.x, target.center_y)
    if start[1] == end[1]:
        return [start, end]
    bend_x = source.right + COLUMN_GAP / 2 if from_split else target.x - COLUMN_GAP / 2
    return [start, (bend_x, start[1]), (bend_x, end[1]), end]


def _loop_route(source: Box, target: Box, loop_y: float) -> List[Point]:
    """A flow back to an earlier column runs below everything drawn on this level."""
    return [
        (source.center_x, source.bottom),
        (source.center_x, loop_y),
        (target.center_x, loop_y),
        (target.center_x, target.bottom),
    ]
