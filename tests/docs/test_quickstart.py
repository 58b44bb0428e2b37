"""Every ``python`` block of docs/quickstart.md runs, in order, with the pure in-memory runtime."""

import pytest

from tests.docs.markdown import DOCS_DIR
from tests.docs.runner import python_blocks, run_page

QUICKSTART = DOCS_DIR / "quickstart.md"


def test_quickstart_walks_through_several_runnable_steps():
    assert len(python_blocks(QUICKSTART)) >= 5


@pytest.mark.parametrize(
    "number, line, source",
    [(number, line, source) for number, (line, source) in enumerate(python_blocks(QUICKSTART), start=1)],
)
def test_block_is_valid_python(number, line, source):
    try:
        compile(source, f"<quickstart.md block {number}>", "exec")
    except SyntaxError as err:
        pytest.fail(f"quickstart.md block {number} (line {line}) is not valid Python: {err}")


def test_every_block_runs_in_order_without_django(tmp_path):
    passed, report = run_page(QUICKSTART, tmp_path)
    assert passed, report
