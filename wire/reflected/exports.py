"""The typed functions a component exports, found by the names a typegraph gives them."""

from __future__ import annotations

from dataclasses import dataclass

import wasmtime
from wasmtime.component import Component, ComponentInstanceType, ExportIndex, FuncType

from ..errors import ComponentLoadError


@dataclass(frozen=True)
class Export:
    """A function the component exports: `add`, or `interface#function`."""

    path: str
    type: FuncType
    index: ExportIndex  # valid for every instance of the component

    @property
    def signature(self) -> str:
        from .wit import name_of

        params = ", ".join(f"{n}: {name_of(t, 1)}" for n, t in self.type.params)
        result = self.type.result
        shown = "" if result is None else f" -> {name_of(result, 1)}"
        return f"{self.path}: func({params}){shown}"


class Exports:
    """The exported functions of one component, at its top level and in its interfaces."""

    def __init__(self, engine: wasmtime.Engine, component: Component, where: str) -> None:
        self.component = component
        self.where = where
        # path -> (interface or None, function name, type)
        self.funcs: dict[str, tuple[str | None, str, FuncType]] = {}
        for name, ext in component.type.exports(engine).items():
            ty = ext.ty
            if isinstance(ty, FuncType):
                self.funcs[name] = (None, name, ty)
            elif isinstance(ty, ComponentInstanceType):
                for fname, fext in ty.exports(engine).items():
                    fty = fext.ty
                    if isinstance(fty, FuncType):
                        self.funcs[f"{name}#{fname}"] = (name, fname, fty)

    def find(self, wanted: str, function: str) -> Export:
        """The export `wanted` names (for typegraph function `function`): a path
        `interface#name` (its `@version` optional), or a name found at the top level or in
        exactly one interface."""
        if "#" in wanted:
            wanted_iface, _, wanted_name = wanted.partition("#")
            found = [
                p
                for p, (i, n, _) in self.funcs.items()
                if i is not None and n == wanted_name and wanted_iface in (i, i.partition("@")[0])
            ]
        elif wanted in self.funcs:
            found = [wanted]
        else:
            found = [p for p, (i, n, _) in self.funcs.items() if n == wanted]
        if not found:
            known = ", ".join(sorted(self.funcs)) or "none"
            raise ComponentLoadError(
                f"function {function!r} binds the export {wanted!r}, which the component does "
                f"not have (its functions: {known})",
                where=self.where,
            )
        if len(found) > 1:
            raise ComponentLoadError(
                f"function {function!r} binds the export {wanted!r}, which names "
                f"{len(found)} functions: give its interface ({', '.join(sorted(found))})",
                where=self.where,
            )
        path = found[0]
        iface, fname, ty = self.funcs[path]
        parent = None if iface is None else self.component.get_export_index(iface)
        index = self.component.get_export_index(fname, parent)
        assert index is not None  # listed by the component's own type
        return Export(path, ty, index)
