"""wire's inline Python runtime: one wit-wire component that runs the functions whose source
travels in each materializer's `mat-data-json` (`PythonRuntime` in the typegraph DSL).

`init` compiles every expected op's source into a namespace of its own and finds its
function (a source that does not compile, or a name it lacks, fails `init` with the
function and the line); `handle` calls the op's function with the input, and with a `Ctx`
when it takes a second parameter. `wire_ctx` is the guest SDK's `Ctx` (the codegen
template `runtime.py.txt`, staged in when the component is built).
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from componentize_py_types import Err
from wire_ctx import Ctx, HostcallError, dumps, loads
from wit_world import exports
from wit_world.exports import mat_wire
from wit_world.imports import typegate_wire

# Exceptions raised on purpose with a message for the caller: their text is the error as is
# (as in the SDK's glue); anything else is reported with its type.
_PLAIN_ERRORS = (Exception, ValueError, RuntimeError, HostcallError)


class LoadError(Exception):
    """A source that cannot become a function; the message names it and its line."""


@dataclass(frozen=True)
class Function:
    op: str
    name: str  # the typegraph's name(s) of the function: what errors say
    file: str
    call: Callable[..., Any]
    takes_ctx: bool
    data: Any

    def at(self, line: int | str) -> str:
        """`function add (typegraph.py, line 12)`."""
        return f"function {self.name} ({self.file}, line {line})"


def _hostcall(op: str, args: str) -> str:
    try:
        return typegate_wire.hostcall(op, args)
    except Err as e:
        raise HostcallError.from_wire(op, str(e.value)) from None


def _load(info: mat_wire.MatInfo) -> Function:
    """Compile the source of `info` in a namespace of its own and find its function."""
    try:
        data = json.loads(info.mat_data_json)
        kind, text, entry = data["kind"], data["source"], data["entry"]
        file, line = str(data.get("file") or "<inline>"), int(data.get("line") or 1)
    except (ValueError, KeyError, TypeError) as e:
        raise LoadError(
            f"op {info.op_name!r}: its data is not an inline function's "
            f"({{kind, source, entry, file, line}}): {type(e).__name__}: {e}"
        ) from None
    # `mat-title` carries the typegraph's names of the function (the host sets it).
    name = info.mat_title or info.op_name

    def at(n: int | str | None) -> str:
        return f"function {name} ({file}, line {n})" if n else f"function {name} ({file})"

    # Blank lines before the text: line numbers in errors and tracebacks are the file's.
    padded = "\n" * (line - 1)
    namespace: dict[str, Any] = {"__name__": f"inline_{info.op_name}", "__file__": file}
    try:
        if kind == "lambda":
            fn = eval(compile(f"{padded}({text})", file, "eval"), namespace)
        elif kind in ("def", "module"):
            exec(compile(padded + text, file, "exec"), namespace)
            fn = namespace.get(entry)
        else:
            raise LoadError(f"{at(None)}: unknown kind {kind!r} (lambda, def or module)")
    except SyntaxError as e:
        raise LoadError(f"{at(e.lineno)}: SyntaxError: {e.msg}") from None
    except LoadError:
        raise
    except Exception as e:  # a module's top level raised
        raise LoadError(f"{at(_line_in(e, file))}: {type(e).__name__}: {e}") from None
    if fn is None:
        raise LoadError(f"{at(None)}: it defines no {entry!r}")
    if not callable(fn):
        raise LoadError(f"{at(None)}: {entry!r} is a {type(fn).__name__}, not a function")
    return Function(info.op_name, name, file, fn, _takes_ctx(fn, at(line)), data)


def _takes_ctx(fn: Callable[..., Any], label: str) -> bool:
    """`(inp)` or `(inp, ctx)`: a second positional parameter gets the `Ctx`."""
    code = getattr(fn, "__code__", None)
    if code is None:  # a builtin or a class: give it the input alone
        return False
    varargs = bool(code.co_flags & 0x04)
    n = code.co_argcount - (1 if getattr(fn, "__self__", None) is not None else 0)
    required = n - len(getattr(fn, "__defaults__", None) or ())
    if (n == 0 and not varargs) or required > 2:
        raise LoadError(
            f"{label}: it takes {n} parameters; an inline function takes (inp) or (inp, ctx)"
        )
    return n >= 2 or varargs


def _line_in(e: BaseException, file: str) -> int | str:
    """The line of `file` where `e` was raised (its innermost frame there)."""
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == file]
    return (frames[-1].lineno or "?") if frames else "?"


class Runtime:
    def __init__(self) -> None:
        self.functions: dict[str, Function] = {}

    def init(self, args: mat_wire.InitArgs) -> mat_wire.InitResponse:
        functions: dict[str, Function] = {}
        errors: list[str] = []
        for info in args.expected_ops:
            try:
                functions[info.op_name] = _load(info)
            except LoadError as e:
                errors.append(str(e))
        if errors:  # every broken function at once, not one per try
            raise Err(mat_wire.InitError_Other("; ".join(errors)))
        self.functions = functions
        return mat_wire.InitResponse(ok=True)

    def handle(self, req: mat_wire.HandleReq) -> str:
        fn = self.functions.get(req.op_name)
        if fn is None:
            raise Err(mat_wire.HandleErr_NoHandler())
        try:
            inp = loads(req.in_json)
        except ValueError as e:
            raise Err(mat_wire.HandleErr_InJsonErr(f"input is not JSON: {e}")) from None
        try:
            out = fn.call(inp, Ctx(fn.op, fn.data, _hostcall)) if fn.takes_ctx else fn.call(inp)
        except Exception as e:
            traceback.print_exc(file=sys.stderr)
            text = str(e) if type(e) in _PLAIN_ERRORS and str(e) else f"{type(e).__name__}: {e}"
            message = f"{text} (in {fn.at(_line_in(e, fn.file))})"
            raise Err(mat_wire.HandleErr_HandlerErr(message)) from None
        try:
            return dumps(out, allow_nan=False)
        except (TypeError, ValueError) as e:
            message = f"{fn.at(fn.data.get('line', '?'))} returned a value that is not JSON: {e}"
            raise Err(mat_wire.HandleErr_HandlerErr(message)) from None


_runtime = Runtime()


# componentize-py creates this class as it likes; the state lives in `_runtime`.
class MatWire(exports.MatWire):
    def init(self, args: mat_wire.InitArgs) -> mat_wire.InitResponse:
        return _runtime.init(args)

    def handle(self, req: mat_wire.HandleReq) -> str:
        return _runtime.handle(req)
