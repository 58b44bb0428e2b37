"""The examples of the engine reference pages run as written (blocks of a page share one namespace)."""

import pytest

from tests.docs.markdown import DOCS_DIR
from tests.docs.runner import python_blocks, run_page

# Pages whose python blocks are complete programs; other pages show fragments (a `runtime` in scope...).
RUNNABLE_PAGES = ["builder.md", "data-and-templates.md", "bpmn.md"]


@pytest.mark.parametrize("name", RUNNABLE_PAGES)
def test_page_examples_run(name, tmp_path):
    page = DOCS_DIR / name
    assert python_blocks(page), f"{name} has no python examples"
    passed, report = run_page(page, tmp_path)
    assert passed, report
