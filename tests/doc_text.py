"""The README and the reference in docs/, as the tests read them: a file's sections, their
fenced code blocks, the links between the files."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = "README.md"


def read(name: str = README) -> str:
    """The text of `name`: the README or a file of docs/ (`docs/serving.md`)."""
    return (REPO / name).read_text()


def documents() -> list[str]:
    """The README and every file of docs/, as names `read` takes."""
    return [README, *(f"docs/{p.name}" for p in sorted((REPO / "docs").glob("*.md")))]


def section(title: str, name: str = README) -> str:
    """The text under the heading `title` of `name`, up to the next heading of any level."""
    found = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^#+ |\Z)", read(name), re.S | re.M)
    assert found is not None, f"no section {title!r} in {name}"
    return found.group(1)


def blocks(text: str, lang: str) -> list[str]:
    """The fenced `lang` blocks of `text`, dedented (list items indent them)."""
    return [
        textwrap.dedent(b) for b in re.findall(rf"^[ ]*```{lang}\n(.*?)^[ ]*```", text, re.S | re.M)
    ]


def all_blocks(lang: str) -> list[str]:
    """The fenced `lang` blocks of the README and of every file of docs/."""
    return [b for name in documents() for b in blocks(read(name), lang)]


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(name: str) -> set[str]:
    text = re.sub(r"^```.*?^```", "", read(name), flags=re.S | re.M)  # no `#` of code
    return {slug(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}
