"""The source of an inline Python function, as it travels in a materializer's `data`:
a lambda's own text (out of the line that holds it), a def without its decorators, or a
whole module file."""

from __future__ import annotations

import ast
import inspect
import linecache
import textwrap
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .errors import TypegraphError

__all__ = ["Source", "def_source", "lambda_source"]

SourceKind = Literal["lambda", "def", "module"]
Path_ = list[str | int]  # where in the document an error points


@dataclass(frozen=True)
class Source:
    """What the runtime compiles: `text` (`kind` says how: a lambda expression, a def, a
    module), the name of the function to call in it, and where it came from (`file`, and
    the `line` the text starts on there, for errors and tracebacks)."""

    kind: SourceKind
    text: str
    entry: str
    file: str
    line: int

    def data(self) -> dict[str, Any]:
        """The materializer's `data` (docs/typegraph-document.md, Inline Python)."""
        return {
            "kind": self.kind,
            "source": self.text,
            "entry": self.entry,
            "file": self.file,
            "line": self.line,
        }


def lambda_source(fn: Callable[..., Any], where: Path_) -> Source:
    """The text of the lambda `fn`, found in its file's syntax tree: the lambda on its first
    line whose compiled code is `fn`'s (a line may hold several)."""
    code = _code(fn, "from_lambda", where)
    if code.co_name != "<lambda>":
        raise TypegraphError(
            f"from_lambda takes a lambda, got the function {code.co_name!r}: use from_def",
            where,
        )
    text, tree = _file_tree(fn, code, where)
    found = [
        n for n in ast.walk(tree) if isinstance(n, ast.Lambda) and n.lineno == code.co_firstlineno
    ]
    for node in found:
        segment = ast.get_source_segment(text, node)
        if segment is not None and (len(found) == 1 or _same_code(segment, code)):
            return Source("lambda", segment, "<lambda>", Path(code.co_filename).name, node.lineno)
    raise TypegraphError(
        f"cannot find the source of the lambda on line {code.co_firstlineno} of "
        f"{code.co_filename}: was the file edited since it was loaded?",
        where,
    )


def def_source(fn: Callable[..., Any], where: Path_) -> Source:
    """The `def` of `fn`, dedented, from its `def` line on (decorators are not there when it
    runs in the component)."""
    code = _code(fn, "from_def", where)
    if code.co_name == "<lambda>":
        raise TypegraphError("from_def takes a def, got a lambda: use from_lambda", where)
    text, tree = _file_tree(fn, code, where)
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        if node.name != code.co_name or first != code.co_firstlineno:
            continue
        if isinstance(node, ast.AsyncFunctionDef):
            raise TypegraphError(
                f"{node.name!r} is an async def: inline functions are plain defs", where
            )
        lines = text.splitlines(keepends=True)[node.lineno - 1 : node.end_lineno]
        body = textwrap.dedent("".join(lines))
        return Source("def", body, node.name, Path(code.co_filename).name, node.lineno)
    raise TypegraphError(
        f"cannot find the def of {code.co_name!r} on line {code.co_firstlineno} of "
        f"{code.co_filename}: was the file edited since it was loaded?",
        where,
    )


def _code(fn: Callable[..., Any], what: str, where: Path_) -> types.CodeType:
    code = getattr(fn, "__code__", None)
    if not isinstance(code, types.CodeType):
        raise TypegraphError(f"{what} takes a Python function, got {fn!r}", where)
    if code.co_freevars:
        names = ", ".join(code.co_freevars)
        raise TypegraphError(
            f"the function on line {code.co_firstlineno} of {Path(code.co_filename).name} "
            f"uses {names} from around it: only its own source runs in the Python runtime; "
            "pass the value in its input, or write it in the function",
            where,
        )
    return code


def _file_tree(
    fn: Callable[..., Any], code: types.CodeType, where: Path_
) -> tuple[str, ast.Module]:
    """The text of the file defining `fn`, and its syntax tree."""
    try:
        file = inspect.getsourcefile(fn)
    except TypeError:
        file = None
    lines = linecache.getlines(file, getattr(fn, "__globals__", None)) if file else []
    if not lines:
        raise TypegraphError(
            f"no source for the function on line {code.co_firstlineno} of {code.co_filename}: "
            "inline functions must be defined in a .py file",
            where,
        )
    text = "".join(lines)
    return text, ast.parse(text, code.co_filename)


def _same_code(segment: str, code: types.CodeType) -> bool:
    """Whether the lambda `segment` compiles to `code` (same bytecode, names, constants)."""
    try:
        compiled = compile(f"({segment})", code.co_filename, "eval")
    except SyntaxError:
        return False
    inner = [c for c in compiled.co_consts if isinstance(c, types.CodeType)]
    return any(
        (c.co_code, c.co_names, c.co_varnames, _consts(c))
        == (
            code.co_code,
            code.co_names,
            code.co_varnames,
            _consts(code),
        )
        for c in inner
    )


def _consts(code: types.CodeType) -> tuple[object, ...]:
    return tuple(c for c in code.co_consts if not isinstance(c, types.CodeType))
