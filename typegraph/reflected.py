"""Components with typed WIT exports (not wit-wire's JSON ``handle``), served as they are:
``ReflectedRuntime("calc.wasm").export("add", inp, out)``. The host checks the typegraph's
types against each export's WIT signature when it loads the component, and converts values
both ways (docs/typegraph-document.md, Reflected components)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import t
from .errors import TypegraphError
from .func import Effect, Func
from .names import pascal_case
from .policy import Policy
from .runtime import WireRuntime
from .types import Ref, Struct, Type

__all__ = ["ReflectedRuntime", "variant"]


class ReflectedRuntime(WireRuntime):
    """A component whose exports are typed WIT functions. ``export(name, inp, out)`` makes
    a function of the export ``name``: ``add`` (a function the component exports, at its
    top level or in one of its interfaces) or ``wire-test:shop/pricing#price`` (interface
    ``#`` function, the version optional). Instances, limits and channel grants are as for
    `WireRuntime`; the component may import WASI (no files, environment or network) and
    wit-wire's ``hostcall``, nothing else."""

    kind = "reflected"

    def __repr__(self) -> str:
        return f"ReflectedRuntime({self.component!r}, name={self.name!r})"

    def export(self, name: str, inp: Struct | Ref, out: Type, *, effect: Effect = "read") -> Func:
        """The export ``name`` as a function: ``inp`` is a struct whose fields are its
        parameters (by name, ``kebab-case`` as ``snake_case``), ``out`` its result type (of
        a ``result<T, E>``: ``T``; an ``err`` is a ``handler_error``)."""
        return Func(inp, out, self.op(name), effect)

    def policy(self, name: str, *, op: str | None = None, data: Any = None) -> Policy:
        raise TypegraphError(
            "a reflected component cannot decide policies (a policy takes and returns JSON): "
            "use a WireRuntime",
            ["policies", name],
        )


def variant(cases: Mapping[str, Type | None], *, name: str | None = None) -> Type:
    """The typegraph type of a WIT ``variant`` (or of a ``result`` inside another type,
    whose cases are ``ok`` and ``err``): ``{"tag": case, "value": payload}``, without
    ``value`` for a case that has no payload. ``cases`` maps each case (``snake_case``) to
    its payload type, or None. With ``name``, the type is named ``name`` and each case's
    struct ``name`` + the case in PascalCase."""
    if not cases:
        raise TypegraphError("a variant needs at least one case", [name or "variant"])
    structs: list[Type] = []
    for case, payload in cases.items():
        fields: dict[str, Type] = {"tag": t.enum([case])}
        if payload is not None:
            fields["value"] = payload
        structs.append(t.struct(fields, name=f"{name}{pascal_case(case)}" if name else None))
    if len(structs) == 1:
        return structs[0] if name is None else structs[0].rename(name)
    return t.either(structs, name=name)
