"""Python source laid out as `ruff format` lays it out (line length 100), so that imported
typegraphs are ready to keep: the importers build expressions from these nodes and `render`
writes them.

The rules are ruff's (black's) for the shapes the importers write: calls, lists, dicts and
string literals. An expression is written on one line when it fits; else a call's arguments
go on one indented line when they fit there, else one per line; a list or dict puts one item
per line. A magic trailing comma follows the last of two or more items broken one per line.
A string too long for its line becomes a parenthesised implicit concatenation of parts that
fit (so `ruff check` finds no long line either).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH = 100
INDENT = 4


@dataclass(frozen=True)
class Atom:
    """Text written as is: a name, a number, ``True``."""

    text: str


@dataclass(frozen=True)
class Str:
    """A string literal; ``raw`` prefers a raw literal (for regular expressions)."""

    value: str
    raw: bool = False


@dataclass(frozen=True)
class Arg:
    """A call argument: ``keyword=value``, ``**value`` (``star="**"``) or a positional one,
    with comment lines written above it (which break the call one argument per line)."""

    value: Expr
    keyword: str | None = None
    star: str = ""
    comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Arg, ...] = ()


@dataclass(frozen=True)
class Pair:
    key: Expr
    value: Expr


@dataclass(frozen=True)
class Collection:
    """A list (``"[", "]"``) or a dict (``"{", "}"``, items `Pair`)."""

    open: str
    close: str
    items: tuple[Expr | Pair, ...] = field(default=())


Expr = Atom | Str | Call | Collection


def call(func: str, *args: Expr, **kwargs: Expr | None) -> Call:
    """``func(*args, **kwargs)``; keyword arguments that are None are left out."""
    out = [Arg(a) for a in args]
    out += [Arg(v, keyword=k) for k, v in kwargs.items() if v is not None]
    return Call(func, tuple(out))


def list_of(items: Sequence[Expr]) -> Collection:
    return Collection("[", "]", tuple(items))


def dict_of(items: Sequence[tuple[Expr, Expr]]) -> Collection:
    return Collection("{", "}", tuple(Pair(k, v) for k, v in items))


# -- measuring ------------------------------------------------------------------------


def width(text: str) -> int:
    """Columns ``text`` takes in an editor (as ruff counts: wide characters take two,
    combining marks none)."""
    n = 0
    for ch in text:
        if ch.isascii():
            n += 1
        elif unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        else:
            n += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return n


# -- string literals -------------------------------------------------------------------

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(ch: str, quote: str) -> str:
    if ch == quote:
        return "\\" + ch
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if ch.isprintable():
        return ch
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def literal(value: str, raw: bool = False) -> str:
    """The literal ruff keeps for ``value``: double quotes unless the text holds more double
    quotes than single ones; a raw literal when asked and possible."""
    quoted = '"' in value or "'" in value
    if raw and "\\" in value and value.isprintable() and not value.endswith("\\") and not quoted:
        return f'r"{value}"'
    quote = "'" if value.count('"') > value.count("'") else '"'
    return quote + "".join(_escape(ch, quote) for ch in value) + quote


def _string_parts(value: str, room: int) -> list[str]:
    """``value`` cut into parts whose literals take at most ``room`` columns: after a line
    break, else after a space, else where the room ends."""
    parts: list[str] = []
    rest = value
    while rest:
        if width(literal(rest)) <= room:
            parts.append(rest)
            break
        fit = 1
        while fit < len(rest) and width(literal(rest[: fit + 1])) <= room:
            fit += 1
        head = rest[:fit]
        cut = head.rfind("\n") + 1 or head.rfind(" ") + 1
        if cut <= 0 or cut == len(rest):
            cut = fit
        parts.append(rest[:cut])
        rest = rest[cut:]
    return parts


# -- layout ------------------------------------------------------------------------------


def flat(expr: Expr | Pair) -> str:
    """``expr`` on one line."""
    if isinstance(expr, Atom):
        return expr.text
    if isinstance(expr, Str):
        return literal(expr.value, expr.raw)
    if isinstance(expr, Pair):
        return f"{flat(expr.key)}: {flat(expr.value)}"
    if isinstance(expr, Call):
        return f"{expr.func}({', '.join(_flat_arg(a) for a in expr.args)})"
    return expr.open + ", ".join(flat(i) for i in expr.items) + expr.close


def _flat_arg(arg: Arg) -> str:
    return _arg_head(arg) + flat(arg.value)


def _arg_head(arg: Arg) -> str:
    return f"{arg.keyword}=" if arg.keyword is not None else arg.star


def _has_comments(expr: Expr | Pair) -> bool:
    if isinstance(expr, Call):
        return any(a.comments or _has_comments(a.value) for a in expr.args)
    if isinstance(expr, Pair):
        return _has_comments(expr.value)
    if isinstance(expr, Collection):
        return any(_has_comments(i) for i in expr.items)
    return False


def layout(expr: Expr, indent: int = 0, head: str = "", tail: str = "") -> list[str]:
    """The lines of ``head + expr + tail`` starting at column ``indent``."""
    pad = " " * indent
    one = pad + head + flat(expr) + tail
    if width(one) <= WIDTH and not _has_comments(expr):
        return [one]
    inner = indent + INDENT
    if isinstance(expr, Str):
        parts = _string_parts(expr.value, WIDTH - inner)
        # ruff keeps a lone string in parentheses only as a keyword argument
        if len(parts) < 2 and not (head.endswith("=") and width(" " * inner + flat(expr)) <= WIDTH):
            return [one]
        lines = [pad + head + "("]
        lines += [" " * inner + literal(p) for p in parts]
        return [*lines, pad + ")" + tail]
    if isinstance(expr, Call) and expr.args:
        lines = [pad + head + expr.func + "("]
        args = ", ".join(_flat_arg(a) for a in expr.args)
        if width(" " * inner + args) <= WIDTH and not _has_comments(expr):
            lines.append(" " * inner + args)
        else:
            comma = "," if len(expr.args) > 1 else ""
            for a in expr.args:
                for text in a.comments:
                    lines += comment_lines(text, inner)
                lines += layout(a.value, inner, _arg_head(a), comma)
        return [*lines, pad + ")" + tail]
    if isinstance(expr, Collection) and expr.items:
        lines = [pad + head + expr.open]
        comma = "," if len(expr.items) > 1 else ""
        for item in expr.items:
            if isinstance(item, Pair):
                lines += layout(item.value, inner, flat(item.key) + ": ", comma)
            else:
                lines += layout(item, inner, "", comma)
        return [*lines, pad + expr.close + tail]
    return [one]


def statement(target: str, expr: Expr, indent: int = 0) -> list[str]:
    """``target = expr`` (or the bare expression when ``target`` is empty)."""
    return layout(expr, indent, f"{target} = " if target else "")


def _wrap(text: str, room: int) -> list[str]:
    """``text`` as lines of at most ``room`` columns (a longer word, or a `quoted phrase`,
    keeps its own line), paragraph breaks kept; characters not printable become spaces."""
    out: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        printable = "".join(ch if ch.isprintable() else " " for ch in paragraph)
        for whole in re.findall(r"(?:`[^`]*`|\S)+", printable):
            for word in _pieces(whole, room):
                if line and width(f"{line} {word}") > room:
                    out.append(line)
                    line = word
                else:
                    line = f"{line} {word}" if line else word
        out.append(line)
    return out


def _pieces(word: str, room: int) -> list[str]:
    """``word`` cut after slashes (a long JSON pointer) into pieces that fit in ``room``."""
    pieces: list[str] = []
    while width(word) > room:
        cut = word.rfind("/", 0, room) + 1 or room
        pieces.append(word[:cut])
        word = word[cut:]
    return [*pieces, word]


def comment_lines(text: str, indent: int = 0) -> list[str]:
    """``text`` as ``#`` comment lines wrapped to the line length."""
    pad = " " * indent + "#"
    return [f"{pad} {line}" if line else pad for line in _wrap(text, WIDTH - indent - 2)]


def docstring(text: str) -> list[str]:
    """A module docstring of ``text`` (paragraphs wrapped to the line length)."""
    escaped = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = _wrap(escaped, WIDTH - 3)
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        lines = [""]
    if len(lines) == 1 and not lines[0].endswith('"'):
        return [f'"""{lines[0]}"""']
    return [f'"""{lines[0]}', *lines[1:], '"""']
