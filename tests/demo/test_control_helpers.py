"""The commands' pure helpers: tables, JSON arguments, fresh tree ids (no Django set-up needed)."""

import copy

import pytest
from django.core.management.base import CommandError

from bamboo_engine.validator import validate_and_process_pipeline
from pipeline.management.commands.run_pipeline import with_new_ids
from pipeline.management.control import parse_json, render_table
from playground.demo import richer_tree


def test_render_table_aligns_every_column_under_its_header():
    table = render_table(("NODE", "STATE"), [["start", "FINISHED"], ["a much longer name", "FAILED"]])
    lines = table.splitlines()
    assert lines[0] == "NODE                STATE"
    assert lines[1] == "------------------  --------"
    assert [line.index(state) for line, state in zip(lines[2:], ("FINISHED", "FAILED"), strict=True)] == [
        20,
        20,
    ]


def test_render_table_strips_trailing_blanks_of_empty_last_cells():
    assert render_table(("A", "NOTE"), [["x", ""]]).splitlines()[-1] == "x"


def test_parse_json_reads_inline_text_and_files(tmp_path):
    (tmp_path / "data.json").write_text('{"n": 6}', encoding="utf-8")
    assert parse_json('{"n": 5}', "--inputs") == {"n": 5}
    assert parse_json(f"@{tmp_path / 'data.json'}", "--inputs") == {"n": 6}


@pytest.mark.parametrize(
    "text, message",
    [("{nope", "--data: invalid JSON"), ("@/no/such/file.json", "--data: can not read '/no/such/file.json'")],
)
def test_parse_json_errors_name_the_argument(text, message):
    with pytest.raises(CommandError, match=message):
        parse_json(text, "--data")


def test_with_new_ids_renames_every_id_and_every_reference():
    tree, ids = richer_tree()
    original = copy.deepcopy(tree)
    renamed = with_new_ids(tree)
    assert tree == original, "the input tree is left alone"
    old_ids = {tree["id"], *tree["activities"], *tree["gateways"], *tree["flows"], *ids.values()}
    text = str(renamed)
    assert not [old for old in old_ids if old in text]
    # still a valid tree: every flow end, gateway condition and subprocess reference was renamed too
    validate_and_process_pipeline(renamed, False)
    subprocess = next(node for node in renamed["activities"].values() if node["type"] == "SubProcess")
    assert subprocess["pipeline"]["id"] == subprocess["id"]
