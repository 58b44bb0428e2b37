"""The layered layout of the graph view (pipeline.eri.operations.graph_layout): pure Python, no Django."""

from pipeline.eri.operations.graph_layout import Placement, back_flows, layered_layout


def _chain(*ids):
    return list(zip(ids, ids[1:], strict=False))


def test_a_chain_goes_left_to_right_on_one_row():
    ids = ["start", "a", "b", "end"]

    layout = layered_layout(ids, _chain(*ids), "start")

    assert [layout.placements[i] for i in ids] == [Placement(rank, 0) for rank in range(4)]
    assert layout.back_flows == frozenset()


def test_a_fork_spreads_its_branches_around_its_row_and_the_join_comes_back_between_them():
    ids = ["start", "pg", "a", "b", "c", "cg", "end"]
    flows = [("start", "pg"), ("pg", "a"), ("pg", "b"), ("pg", "c"), ("a", "cg"), ("b", "cg"), ("c", "cg")]
    flows.append(("cg", "end"))

    placed = layered_layout(ids, flows, "start").placements

    assert [placed[i].row for i in ("a", "b", "c")] == [-1, 0, 1]  # in the fork's flow order
    assert {placed[i].rank for i in ("a", "b", "c")} == {2}
    assert placed["cg"] == Placement(3, 0)
    assert placed["end"] == Placement(4, 0)


def test_a_join_waits_for_its_longest_branch():
    ids = ["start", "pg", "short", "long_1", "long_2", "long_3", "cg", "end"]
    flows = [("start", "pg"), ("pg", "short"), ("pg", "long_1"), *_chain("long_1", "long_2", "long_3")]
    flows += [("short", "cg"), ("long_3", "cg"), ("cg", "end")]

    placed = layered_layout(ids, flows, "start").placements

    assert placed["cg"].rank == placed["long_3"].rank + 1 == 5
    for source, target in flows:
        assert placed[target].rank > placed[source].rank, (source, target)
    columns = {}
    for place in placed.values():
        columns.setdefault(place.rank, []).append(place.row)
    assert all(len(rows) == len(set(rows)) for rows in columns.values()), "two nodes share a cell"


def test_a_loop_is_a_back_flow_and_does_not_push_its_start_right():
    ids = ["start", "a", "eg", "end"]
    flows = [("start", "a"), ("a", "eg"), ("eg", "a"), ("eg", "end")]

    layout = layered_layout(ids, flows, "start")

    assert layout.back_flows == frozenset({2})
    assert back_flows(ids, flows, "start") == frozenset({2})
    assert layout.placements["a"].rank == 1 and layout.placements["end"].rank == 3


def test_flows_to_other_pipelines_are_ignored_and_unreachable_nodes_still_get_a_place():
    ids = ["start", "a", "orphan"]
    flows = [("start", "a"), ("a", "elsewhere")]

    placed = layered_layout(ids, flows, "start").placements

    assert set(placed) == set(ids)
    assert placed["orphan"].rank == 0 and placed["orphan"].row != placed["start"].row


def test_a_thousand_node_chain_needs_no_recursion():
    ids = [f"n{i}" for i in range(3000)]
    flows = _chain(*ids) + [(ids[-1], ids[0])]

    layout = layered_layout(ids, flows, ids[0])

    assert layout.placements[ids[-1]] == Placement(2999, 0)
    assert layout.back_flows == frozenset({len(flows) - 1})
