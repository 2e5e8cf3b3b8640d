"""GraphQL names: what the spec allows, what is reserved, and who took which name.

Names are served exactly as written in the typegraph (no camelCase), so anything the
GraphQL spec rejects, or that two types would share, is an error at load time naming
both claimants and the fix.
"""

from __future__ import annotations

import re

from .errors import SchemaError

NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")
BUILTIN_SCALARS = ("String", "Int", "Float", "Boolean", "ID")
ROOTS = ("Query", "Mutation", "Subscription")
ENUM_RESERVED = ("true", "false", "null")


def check_name(name: str, what: str, where: str) -> str:
    """`name` if GraphQL accepts it as the name of `what`; else a `SchemaError`."""
    if not NAME.match(name):
        raise SchemaError(
            f"{what} {name!r} is not a valid GraphQL name ([_A-Za-z][_0-9A-Za-z]*): "
            "rename it in the typegraph",
            where=where,
        )
    if name.startswith("__"):
        raise SchemaError(
            f"{what} {name!r} starts with '__', which GraphQL reserves for introspection: "
            "rename it in the typegraph",
            where=where,
        )
    return name


def check_enum_value(value: str, where: str) -> str:
    check_name(value, "enum value", where)
    if value in ENUM_RESERVED:
        raise SchemaError(
            f"enum value {value!r} is reserved in GraphQL (true, false, null): "
            "use another value in the typegraph",
            where=where,
        )
    return value


class NameTable:
    """Named GraphQL types by name, with what each stands for (to explain a collision)."""

    def __init__(self, typegraph: str) -> None:
        self.typegraph = typegraph
        self._owners: dict[str, str] = {n: "a built-in GraphQL scalar" for n in BUILTIN_SCALARS}
        self._owners.update({n: "a GraphQL root operation type" for n in ROOTS})

    def claim(self, name: str, owner: str, where: str) -> str:
        """Reserve `name` for `owner` (a description such as "struct 'Point'")."""
        check_name(name, "type name", where)
        taken = self._owners.get(name)
        if taken is not None and taken != owner:
            raise SchemaError(
                f"the GraphQL type name {name!r} of {owner} collides with {taken}: "
                "rename one of them in the typegraph",
                where=where,
            )
        self._owners[name] = owner
        return name
