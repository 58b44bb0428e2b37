"""Small Markdown helpers for the documentation tests: code blocks, links and heading anchors."""

import re
from pathlib import Path
from typing import List, Tuple

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS_DIR = REPO_ROOT / "docs"

_FENCE = re.compile(r"^(```+|~~~+)([^\n`]*)\n(.*?)^\1[ \t]*$", re.S | re.M)
_LINK = re.compile(r"(?<!\!)\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
_INLINE_CODE = re.compile(r"`[^`\n]*`")


def code_blocks(text: str, language: str) -> List[Tuple[int, str]]:
    """``(line number, source)`` of every fenced block whose info string starts with ``language``."""
    blocks = []
    for match in _FENCE.finditer(text):
        info = match.group(2).strip().split()
        if info and info[0] == language:
            line = text.count("\n", 0, match.start(3)) + 1
            blocks.append((line, match.group(3)))
    return blocks


def strip_code(text: str) -> str:
    """The text without fenced blocks and inline code spans, whose brackets are not links."""
    text = _FENCE.sub("", text)
    return _INLINE_CODE.sub("", text)


def links(text: str) -> List[str]:
    """Targets of the inline links ``[text](target)`` outside code."""
    return _LINK.findall(strip_code(text))


def heading_anchors(text: str) -> set:
    """GitHub-style anchors of the headings of a Markdown page (duplicates get ``-1``, ``-2``...)."""
    anchors: set = set()
    counts: dict = {}
    for match in _HEADING.finditer(_FENCE.sub("", text)):
        slug = github_slug(match.group(1))
        seen = counts.get(slug, 0)
        counts[slug] = seen + 1
        anchors.add(slug if seen == 0 else f"{slug}-{seen}")
    return anchors


def github_slug(heading: str) -> str:
    """The anchor GitHub generates for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")
