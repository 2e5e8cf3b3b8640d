"""Docstrings and comments of generated Python, wrapped to the project's line length."""

from __future__ import annotations

import textwrap

from ..layout import LINE


def docstring(text: str | None, indent: str) -> list[str]:
    """`text` as a docstring at `indent` (nothing for no text); paragraphs are kept."""
    if not text or not text.strip():
        return []
    body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').strip()
    lines = _wrap(body, LINE - len(indent) - 3)
    if len(lines) == 1 and len(indent) + len(lines[0]) + 6 <= LINE:
        return [f'{indent}"""{lines[0]}"""']
    out = [f'{indent}"""{lines[0]}']
    out += [f"{indent}{line}" if line else "" for line in lines[1:]]
    return [*out, f'{indent}"""']


def comment(text: str | None, indent: str) -> list[str]:
    if not text or not text.strip():
        return []
    return [f"{indent}# {line}".rstrip() for line in _wrap(text.strip(), LINE - len(indent) - 2)]


def _wrap(text: str, width: int) -> list[str]:
    """Each line of `text` wrapped to `width`; blank lines (paragraphs) kept, and lines
    that start with spaces (code, lists) left as they are."""
    out: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            out.append("")
        elif line.startswith(" "):
            out.append(line.rstrip())
        else:
            out += textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False)
    return out
