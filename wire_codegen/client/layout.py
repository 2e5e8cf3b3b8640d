"""Bracketed code laid out as `ruff format` (and prettier, near enough) lay it out, so that
generated Python stays unchanged under the formatter: one line when it fits in LINE
columns; else the bracket's content on one indented line when that fits; else one item a
line, with a trailing comma, each item laid out the same way."""

from __future__ import annotations

from dataclasses import dataclass

LINE = 100


@dataclass(frozen=True)
class Br:
    """`head` + items + `close`: `Operation(` ... `)`, `{` ... `}`, `def f(` ... `) -> T:`."""

    head: str
    items: tuple[Code, ...]
    close: str
    one_tuple: bool = False  # `(x,)`: a tuple of one needs its comma


Code = str | Br


def flat(code: Code) -> str:
    if isinstance(code, str):
        return code
    body = ", ".join(flat(item) for item in code.items)
    if code.one_tuple and len(code.items) == 1:
        body += ","
    return f"{code.head}{body}{code.close}"


def lay_out(code: Code, indent: str = "", suffix: str = "", step: str = "    ") -> list[str]:
    """The lines of `code` at `indent`, followed by `suffix` (`,` in a list of items);
    `step` is one level of indentation."""
    line = f"{indent}{flat(code)}{suffix}"
    if isinstance(code, str) or len(line) <= LINE or not code.items:
        return [line]
    inner = indent + step
    body = ", ".join(flat(item) for item in code.items)
    if code.one_tuple and len(code.items) == 1:
        body += ","
    head, close = code.head.rstrip(), code.close.lstrip()  # `{ a }` split: no inner spaces
    if len(inner + body) <= LINE:
        return [f"{indent}{head}", inner + body, f"{indent}{close}{suffix}"]
    lines = [f"{indent}{head}"]
    for item in code.items:
        lines += lay_out(item, inner, ",", step)
    return [*lines, f"{indent}{close}{suffix}"]
