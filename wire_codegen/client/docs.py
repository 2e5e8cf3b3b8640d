"""Descriptions from the typegraph, made into the text of generated docs."""

from __future__ import annotations

import re


def paragraphs(text: str) -> str:
    """`text` with each paragraph on one line (its line breaks were the author's wrapping),
    paragraphs apart by a blank line: the emitters wrap it again to their width."""
    parts = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(part.split()) for part in parts if part.strip())
