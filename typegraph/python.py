"""Inline Python functions: their source travels in the typegraph document and runs in
wire's own Python runtime component (no guest folder, no build of their own)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .errors import TypegraphError
from .func import Effect, Func
from .materializer import Materializer
from .model import (
    DEFAULT_DEADLINE_MS,
    DEFAULT_MEMORY_BYTES,
    DEFAULT_POOL_SIZE,
    DEFAULT_SPARES,
    InstancesPolicy,
)
from .policy import Policy
from .runtime import WireRuntime
from .sources import Source, def_source, lambda_source
from .types import Ref, Struct, Type

__all__ = ["PythonRuntime"]

#: The document's `kind` of an inline Python runtime.
KIND = "python"


class PythonRuntime(WireRuntime):
    """Functions written inline in Python, run by wire's Python runtime component: each
    function's source is captured here (`inspect`) or read from a file, and compiled in the
    component when an instance starts. ``name`` defaults to ``python``; the other settings
    are `WireRuntime`'s.

        py = PythonRuntime()
        g.expose(add=py.from_lambda(inp, out, lambda x: x["a"] + x["b"]),
                 slug=py.from_def(inp, out, slugify),
                 score=py.import_(inp, out, module="scoring.py", name="score"))

    A function takes ``(inp)`` or ``(inp, ctx)``: ``ctx`` is the guest SDK's ``Ctx``
    (``ctx.log``, ``ctx.gql``, ``ctx.send``, ..., ``ctx.hostcall(op, args)`` for any op).
    Only its own source travels: closures are refused, and what it needs beyond builtins it
    imports itself (the standard library)."""

    kind = KIND

    def __init__(
        self,
        name: str | None = None,
        *,
        instances: InstancesPolicy = "fresh",
        pool_size: int = DEFAULT_POOL_SIZE,
        spares: int = DEFAULT_SPARES,
        deadline_ms: int = DEFAULT_DEADLINE_MS,
        memory_bytes: int = DEFAULT_MEMORY_BYTES,
        channels: Sequence[str] | None = None,
        concurrency: int | None = None,
    ) -> None:
        super().__init__(
            KIND,  # names the runtime `python` unless `name` is given; no component path
            name=name,
            instances=instances,
            pool_size=pool_size,
            spares=spares,
            deadline_ms=deadline_ms,
            memory_bytes=memory_bytes,
            channels=channels,
            concurrency=concurrency,
        )
        self._ops: dict[str, str] = {}  # op name -> its data (canonical JSON)

    def __repr__(self) -> str:
        return f"PythonRuntime(name={self.name!r})"

    def from_lambda(
        self,
        inp: Struct | Ref,
        out: Type,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        effect: Effect = "read",
    ) -> Func:
        """A function whose body is the lambda ``fn`` (its own source text, taken from the
        file that defines it). The op is named ``name`` (default: ``lambda``)."""
        source = lambda_source(fn, self._where("from_lambda"))
        return self._func(inp, out, source, name or "lambda", effect)

    def from_def(
        self,
        inp: Struct | Ref,
        out: Type,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        effect: Effect = "read",
    ) -> Func:
        """A function whose body is the ``def`` of ``fn`` (its source, decorators left out).
        The op is named ``name`` (default: the function's name)."""
        source = def_source(fn, self._where("from_def"))
        return self._func(inp, out, source, name or source.entry, effect)

    def import_(
        self,
        inp: Struct | Ref,
        out: Type,
        *,
        module: str,
        name: str,
        effect: Effect = "read",
    ) -> Func:
        """Function ``name`` of the Python file ``module``, a path relative to the file that
        calls this (the typegraph's): the whole file travels, and runs as a module of its
        own."""
        base = Path(sys._getframe(1).f_code.co_filename).resolve().parent
        path = base / module
        where = self._where("import_", module)
        if path.suffix != ".py":
            raise TypegraphError(f"module {module!r} must be a .py file", where)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise TypegraphError(
                f"cannot read module {module!r} (looked for {path}): {e.strerror}", where
            ) from None
        source = Source("module", text, name, Path(module).as_posix(), 1)
        return self._func(inp, out, source, name, effect)

    def handler(
        self,
        inp: Struct | Ref,
        out: Type,
        *,
        name: str,
        effect: Effect = "read",
        title: str | None = None,
        data: Any = None,
    ) -> Func:
        raise TypegraphError(
            "an inline Python runtime runs source, not ops of a component: use "
            "from_lambda, from_def or import_",
            self._where("handler", name),
        )

    def policy(self, name: str, *, op: str | None = None, data: Any = None) -> Policy:
        raise TypegraphError(
            "an inline Python runtime cannot decide policies yet: use a WireRuntime",
            ["policies", name],
        )

    def _where(self, *parts: str) -> list[str | int]:
        return ["runtimes", self.name or KIND, *parts]

    def _func(self, inp: Struct | Ref, out: Type, src: Source, op: str, effect: Effect) -> Func:
        data = src.data()
        return Func(inp, out, Materializer(self, self._op_name(op, data), None, data), effect)

    def _op_name(self, base: str, data: dict[str, Any]) -> str:
        """`base`, or `base_2`, `base_3`, ... when another function of this runtime has it:
        the component finds each function by its op."""
        key = json.dumps(data, sort_keys=True)
        op, n = base, 1
        while self._ops.get(op, key) != key:
            n += 1
            op = f"{base}_{n}"
        self._ops[op] = key
        return op
