"""`selections.py`: for each object and union type a result can hold, `<Type>Select` (the
fields `select=` picks) and `<Type>Partial` (a result as selected: any field may be
absent)."""

from __future__ import annotations

from ...model import StructDef, TypeExpr, UnionDef
from ..model import ClientModel
from ..partial import PartialWriter
from .docstrings import comment, docstring
from .imports import import_from
from .names import is_plain_field


def emit_selections(model: ClientModel, partial: PartialWriter, header: str) -> str:
    classes: list[list[str]] = []
    aliases: list[str] = []
    used: set[str] = set()  # names of types.py
    own: set[str] = set()  # names of this module
    for name in model.selectable:
        d = partial.gql.types[name]
        select, part = partial.companions[f"{name}/select"], partial.companions[f"{name}/partial"]
        if isinstance(d, StructDef):
            picks = [(f.name, _select(partial, f.type)) for f in d.fields]
            classes.append(_typed_dict(select, picks, _SELECT_DOC.format(name=name)))
            fields = [(f.name, partial.expr(f.type, used, own)) for f in d.fields]
            classes.append(_typed_dict(part, fields, _PARTIAL_DOC.format(name=name)))
        else:
            assert isinstance(d, UnionDef)
            variants = partial.gql.object_variants(d) or ()
            picks = [(v, f"{partial.companions[f'{v}/select']} | bool") for v in variants]
            classes.append(_typed_dict(select, picks, _UNION_SELECT_DOC.format(name=name)))
            rhs = " | ".join(partial.companions[f"{v}/partial"] for v in variants)
            aliases.append(f"{part}: TypeAlias = {rhs}")
    lines = [header, "", "from __future__ import annotations", ""]
    typing = ["TypedDict"] + (["TypeAlias"] if aliases else [])
    lines.append(f"from typing import {', '.join(sorted(typing))}")
    if used:
        lines += ["", *import_from(".types", used)]
    for block in classes:
        lines += ["", "", *block]
    if aliases:
        lines += ["", "", *aliases]
    return "\n".join(lines) + "\n"


_SELECT_DOC = (
    "The fields of `{name}` to select: `True` selects a field (an object with all its "
    "fields), a nested selection narrows an object; a field left out or `False` is not "
    "selected."
)
_UNION_SELECT_DOC = (
    "The variants of `{name}` to select, each as its own selection: a value of a variant "
    "left out comes back as `{{}}`."
)
_PARTIAL_DOC = "`{name}` as selected with `select=`: a field not selected is absent."


def _typed_dict(name: str, fields: list[tuple[str, str]], doc: str) -> list[str]:
    if all(is_plain_field(f) for f, _ in fields):
        out = [f"class {name}(TypedDict, total=False):", *docstring(doc, "    ")]
        out += [""] if fields else []
        out += [f"    {f}: {t}" for f, t in fields]
        return out
    # A field named like a keyword (`from`) needs the functional form; its annotations are
    # evaluated at import time, so each is a string.
    out = [*comment(doc, ""), f"{name} = TypedDict(", f'    "{name}",', "    {"]
    out += [f'        "{f}": "{t}",' for f, t in fields]
    return [*out, "    },", "    total=False,", ")"]


def _select(partial: PartialWriter, t: TypeExpr) -> str:
    target = partial.select(t)
    return "bool" if target is None else f"{target} | bool"
