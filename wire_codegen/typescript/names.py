"""TypeScript identifiers for document names: types, properties, ops."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from ..naming import identifier, unique


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Reserved words (ECMAScript and TypeScript's own type names): not usable as a type name, a
# parameter or a variable.
KEYWORDS = _words(
    """break case catch class const continue debugger default delete do else enum export
    extends false finally for function if import in instanceof new null return super switch
    this throw true try typeof var void while with as implements interface let package private
    protected public static yield any boolean number string symbol object never unknown
    undefined bigint type of await async declare namespace module keyof readonly infer is
    asserts unique global require arguments eval"""
)
# Names the SDK modules define or import, and the globals they use: a user's type with one
# of these names would shadow them in types.ts or in app.ts.
SDK_NAMES = _words(
    """Ctx Handlers HostcallError HostcallOps Json NotImplementedError OpSpec OPS
    PolicyInput PolicyDecision Effect Transport MatWire exportMatWire matWire handlers App
    Array Record Readonly ReadonlyArray ReadonlyMap Map Set Error Object String Number Boolean
    Symbol Promise JSON Date RegExp Function Partial Required Pick Omit Exclude Extract
    NonNullable ReturnType Parameters console globalThis Functions CallFunction FetchInit
    FetchResponse HttpMethod"""
)
# Own members of every object: a handler method with one of these names would be found on
# any object, implemented or not.
OBJECT_MEMBERS = _words(
    """constructor __proto__ __defineGetter__ __defineSetter__ __lookupGetter__
    __lookupSetter__ hasOwnProperty isPrototypeOf propertyIsEnumerable toLocaleString
    toString valueOf"""
)
_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def is_plain_identifier(name: str) -> bool:
    return bool(_IDENT.match(name)) and name not in KEYWORDS


def property_key(name: str) -> str:
    """A property name as written in an interface or object literal: quoted unless plain.
    Reserved words are fine as property names (`from: string`)."""
    return name if _IDENT.match(name) else json.dumps(name)


def type_names(names: Iterable[str]) -> dict[str, str]:
    """Document type name → TypeScript name; a reserved or SDK name gets a trailing `_`."""
    return unique(names, lambda n: _suffix(identifier(n), KEYWORDS | SDK_NAMES), "type", "TS")


def method_names(ops: Iterable[str], reserved: frozenset[str] = frozenset()) -> dict[str, str]:
    """Op name → method name (`orders.place` → `orders_place`). Methods may be reserved
    words (`handlers.class`), but not `Object.prototype` members or `reserved`."""
    return unique(ops, lambda n: _suffix(identifier(n), OBJECT_MEMBERS | reserved), "op", "TS")


def _suffix(ident: str, reserved: frozenset[str]) -> str:
    return f"{ident}_" if ident in reserved else ident
