"""Every relative link of README.md, CONTRIBUTING.md and docs/*.md points to an existing file and heading."""

from pathlib import Path
from typing import Optional
from urllib.parse import unquote

import pytest

from tests.docs.markdown import DOCS_DIR, REPO_ROOT, heading_anchors, links

PAGES = [REPO_ROOT / "README.md", REPO_ROOT / "CONTRIBUTING.md", *sorted(DOCS_DIR.glob("*.md"))]
_EXTERNAL = ("http://", "https://", "mailto:", "ftp://")


def _link_problem(page: Path, target: str) -> Optional[str]:
    """Why ``target`` (a link on ``page``) is dangling, or None when it resolves."""
    path_part, _, anchor = target.partition("#")
    resolved = (page.parent / unquote(path_part)).resolve() if path_part else page
    shown = resolved.relative_to(REPO_ROOT) if resolved.is_relative_to(REPO_ROOT) else resolved
    if not resolved.exists():
        return f"no file {shown}"
    if anchor and resolved.suffix == ".md" and anchor not in heading_anchors(resolved.read_text("utf-8")):
        return f"no heading #{anchor} in {shown}"
    return None


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO_ROOT)))
def test_relative_links_resolve(page):
    broken = []
    for target in links(page.read_text(encoding="utf-8")):
        if target.startswith(_EXTERNAL):
            continue
        problem = _link_problem(page, target)
        if problem:
            broken.append(f"{target} ({problem})")
    assert not broken, f"{page.relative_to(REPO_ROOT)} has dangling links:\n" + "\n".join(broken)


def test_readme_and_index_link_every_docs_page():
    pages = sorted(page.name for page in DOCS_DIR.glob("*.md") if page.name != "README.md")
    readme = {target.partition("#")[0] for target in links((REPO_ROOT / "README.md").read_text("utf-8"))}
    index = {target.partition("#")[0] for target in links((DOCS_DIR / "README.md").read_text("utf-8"))}
    missing = [page for page in pages if f"docs/{page}" not in readme]
    assert not missing, f"README.md's Documentation section does not link to {missing}"
    missing = [page for page in pages if page not in index]
    assert not missing, f"docs/README.md does not link to {missing}"


def test_link_checker_sees_links_and_anchors():
    text = "See [a](a.md#x-y) and `[not](code.md)`.\n\n```\n[nor](block.md)\n```\n## X y\n"
    assert links(text) == ["a.md#x-y"]
    assert heading_anchors(text) == {"x-y"}
    assert heading_anchors("## `run_pipeline`\n## 6. Runtime calls (happy path)\n") == {
        "run_pipeline",
        "6-runtime-calls-happy-path",
    }
