"""Language-neutral naming: identifiers from document names, and clash detection.

Each emitter decides its own reserved words; this module makes names valid and unique.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from .model import CodegenError


def identifier(name: str) -> str:
    """`name` made a valid identifier: other characters become `_`, a leading digit gets `_`."""
    ident = re.sub(r"\W", "_", name, flags=re.ASCII)
    return f"_{ident}" if not ident or ident[0].isdigit() else ident


def pascal(name: str) -> str:
    """PascalCase the way the document derives type names: upper-case the first letter of
    every run of letters and digits, keep the rest (`get_user` → `GetUser`)."""
    return "".join(part[:1].upper() + part[1:] for part in re.findall(r"[A-Za-z0-9]+", name))


def unique(
    names: Iterable[str], convert: Callable[[str], str], what: str, language: str
) -> dict[str, str]:
    """Document name → `convert(name)`; two names that convert alike are an error naming
    both, since a silent suffix would change an SDK's names when an unrelated name appears."""
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name in names:
        converted = convert(name)
        if converted in seen:
            raise CodegenError(
                f"{what}s {seen[converted]!r} and {name!r} both become the {language} name "
                f"{converted!r}: rename one of them"
            )
        seen[converted] = name
        out[name] = converted
    return out
