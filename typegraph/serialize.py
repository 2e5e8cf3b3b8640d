"""Graph -> document (see ``docs/typegraph-document.md``)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from .checks import check_node
from .document import FORMAT, check_defaults, validate_document
from .errors import TypegraphError
from .func import EFFECTS
from .graph import Graph
from .materializer import Materializer
from .messaging import CHANNEL_MESSAGE, MessagingComponent
from .model import DEFAULT_SPARES, MAX_SPARES
from .names import check_name, pascal_case, unique_name
from .policy import Policy, PolicyLike, PolicyOn
from .python import PythonRuntime
from .runtime import WireRuntime
from .types import (
    UNSET,
    Either,
    Enum,
    Float,
    Integer,
    List,
    Optional,
    Ref,
    String,
    Struct,
    Type,
    Union,
)

__all__ = ["serialize"]

Path = list[str | int]
Node = dict[str, Any]


def serialize(graph: Graph) -> dict[str, Any]:
    """The document of ``graph`` (validated)."""
    doc = _Serializer(graph).run()
    validate_document(doc)
    return doc


def _describe(obj: Type) -> str:
    return f"t.{obj.kind}(...)"


class _Serializer:
    def __init__(self, graph: Graph) -> None:
        self.g = graph
        # types
        self.types: dict[str, Node] = {}
        self.type_names: dict[int, str] = {}
        self.keep: list[object] = []  # keeps objects alive so their ids stay unique
        self.explicit: dict[str, tuple[Type, Path]] = {}
        self.alias: dict[int, Type] = {}
        self.taken: set[str] = set()
        self.refs: list[tuple[str, Path]] = []
        self.defaults: list[tuple[Node, Path]] = []
        # runtimes, materializers, policies
        self.runtimes: dict[str, Node] = {}
        self.runtime_names: dict[int, str] = {}
        self.runtime_explicit: dict[str, WireRuntime] = {}
        self.materializers: dict[str, Node] = {}
        self.mat_ids: dict[str, str] = {}  # canonical JSON -> id
        self.policies: dict[str, Node] = {}
        self.policy_src: dict[str, Policy] = {}

    # -- driver ---------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        g = self.g
        roots: list[tuple[Type, Path]] = []
        for name, exp in g.functions.items():
            roots.append((exp.func.input, ["functions", name, "input"]))
            roots.append((exp.func.output, ["functions", name, "output"]))
        for name, ch in g.channels.items():
            roots.append((ch.message, ["channels", name, "message"]))
        visited: set[int] = set()
        for obj, path in roots:
            self._collect_names(obj, path, visited)
        self._collect_runtimes()

        functions = {name: self._function(name) for name in g.functions}
        channels = {name: self._channel(name) for name in g.channels}
        channel_ops = {name: self._channel_op(name) for name in g.channel_ops}

        for name, path in self.refs:
            if name not in self.types:
                raise TypegraphError(
                    f"unknown type {name!r} in t.ref: name a type with .rename({name!r})", path
                )
        for name, fn in functions.items():
            target = self.types[fn["input"]]
            if target["kind"] != "struct":
                raise TypegraphError(
                    f"the input of a function must be a struct, but {fn['input']!r} is a "
                    f"{target['kind']}; wrap it: t.struct({{'value': ...}})",
                    ["functions", name, "input"],
                )
        doc: dict[str, Any] = {
            "format": FORMAT,
            "name": g.name,
            "types": dict(sorted(self.types.items())),
            "runtimes": dict(sorted(self.runtimes.items())),
            "materializers": dict(sorted(self.materializers.items())),
            "policies": dict(sorted(self.policies.items())),
            "functions": functions,
            "channels": channels,
        }
        if channel_ops:
            doc["channel_ops"] = channel_ops
        if g.basic_users:
            doc["auth"] = {"basic": list(g.basic_users)}
        check_defaults(doc, self.defaults)
        return doc

    # -- types ----------------------------------------------------------------

    def _collect_names(self, obj: Type, path: Path, visited: set[int]) -> None:
        """First pass: explicit names, and aliases for equal types renamed alike."""
        if not isinstance(obj, Type):
            raise TypegraphError(f"expected a type (t.*), got {obj!r}", path)
        if id(obj) in visited:
            return
        visited.add(id(obj))
        self.keep.append(obj)
        if obj.name is not None:
            check_name(obj.name, "type", path)
            seen = self.explicit.get(obj.name)
            if seen is not None:
                first, first_path = seen
                if first.signature() == obj.signature():
                    self.alias[id(obj)] = first
                    return
                raise TypegraphError(
                    f"two different types are named {obj.name!r} (the first at "
                    f"{'.'.join(map(str, first_path))}); rename one, or reuse the same type",
                    path,
                )
            self.explicit[obj.name] = (obj, path)
            self.taken.add(obj.name)
        for sub, child in obj.children():
            self._collect_names(child, [*path, *sub], visited)

    def _node(self, obj: Type, ctx: str, path: Path) -> Node:
        """The node for ``obj`` at ``path``; ``ctx`` is the name it gets if named here."""
        obj = self.alias.get(id(obj), obj)
        if isinstance(obj, Ref):
            node: Node = {"kind": "ref", "name": obj.target}
            self.refs.append((obj.target, path))
            self._common(obj, node, path)
            return node
        if not obj.is_named:
            return self._definition(obj, ctx, path)
        name = self.type_names.get(id(obj))
        if name is None:
            name = obj.name if obj.name is not None else unique_name(ctx, self.taken)
            self.taken.add(name)
            self.type_names[id(obj)] = name
            self.types[name] = self._definition(obj, name, path)
        return {"kind": "ref", "name": name}

    def _definition(self, obj: Type, ctx: str, path: Path) -> Node:
        node: Node = {"kind": obj.kind}
        if isinstance(obj, Integer | Float):
            for key, value in (
                ("minimum", obj.minimum),
                ("maximum", obj.maximum),
                ("exclusiveMinimum", obj.exclusive_minimum),
                ("exclusiveMaximum", obj.exclusive_maximum),
                ("multipleOf", obj.multiple_of),
            ):
                if value is not None:
                    node[key] = value
        elif isinstance(obj, String):
            for key, text in (
                ("minLength", obj.min_length),
                ("maxLength", obj.max_length),
                ("pattern", obj.pattern),
                ("format", obj.format),
            ):
                if text is not None:
                    node[key] = text
        elif isinstance(obj, Enum):
            node["values"] = list(obj.values)
        elif isinstance(obj, List):
            node["items"] = self._node(obj.items, ctx + "Item", [*path, "items"])
            if obj.min_items is not None:
                node["minItems"] = obj.min_items
            if obj.max_items is not None:
                node["maxItems"] = obj.max_items
            if obj.unique:
                node["uniqueItems"] = True
        elif isinstance(obj, Optional):
            node["item"] = self._node(obj.item, ctx, [*path, "item"])
        elif isinstance(obj, Struct):
            fields: Node = {}
            for key, child in obj.fields:
                fpath: Path = [*path, "fields", key]
                check_name(key, "field", fpath)
                fields[key] = self._node(child, ctx + pascal_case(key), fpath)
            node["fields"] = fields
            node["additionalProperties"] = bool(obj.additional_properties)
        elif isinstance(obj, Either | Union):
            node["variants"] = [
                self._node(v, f"{ctx}Variant{i}", [*path, "variants", i])
                for i, v in enumerate(obj.variants)
            ]
        self._common(obj, node, path)
        check_node(node, path)
        return node

    def _common(self, obj: Type, node: Node, path: Path) -> None:
        if obj.description is not None:
            node["description"] = obj.description
        if obj.default_value is not UNSET:
            node["default"] = obj.default_value
            self.defaults.append((node, path))

    # -- runtimes, materializers, policies ---------------------------------------

    def _all_materializers(self) -> list[tuple[Materializer, Path]]:
        out: list[tuple[Materializer, Path]] = []
        for name, exp in self.g.functions.items():
            out.append((exp.func.materializer, ["functions", name, "materializer"]))
            out.extend(self._policy_materializers(exp.func.policies or exp.policies, name))
        for name, cx in self.g.channel_ops.items():
            chain = cx.op.policies or cx.policies
            out.extend(self._policy_materializers(chain, name, "channel_ops"))
        return out

    @staticmethod
    def _policy_materializers(
        chain: Sequence[PolicyLike], name: str, section: str = "functions"
    ) -> list[tuple[Materializer, Path]]:
        out: list[tuple[Materializer, Path]] = []
        for i, entry in enumerate(chain):
            policies = entry.items() if isinstance(entry, PolicyOn) else [(i, entry)]
            for key, pol in policies:
                if isinstance(pol, Policy) and pol.materializer is not None:
                    out.append((pol.materializer, [section, name, "policies", i, key]))
        return out

    def _collect_runtimes(self) -> None:
        mats = self._all_materializers()
        for mat, path in mats:
            if not isinstance(mat, Materializer):
                raise TypegraphError(
                    f"expected a materializer (runtime.op(...)), got {mat!r}", path
                )
            rt = mat.runtime
            if rt.name is None or id(rt) in self.runtime_names:
                continue
            rpath: Path = ["runtimes", rt.name]
            check_name(rt.name, "runtime", rpath)
            first = self.runtime_explicit.get(rt.name)
            if first is not None and self._runtime_node(first, rpath) != self._runtime_node(
                rt, rpath
            ):
                raise TypegraphError(
                    f"two different runtimes are named {rt.name!r}; rename one", rpath
                )
            self.runtime_explicit.setdefault(rt.name, rt)
            self.runtime_names[id(rt)] = rt.name
        for mat, _ in mats:
            rt = mat.runtime
            if id(rt) not in self.runtime_names:
                taken = self.runtime_explicit.keys() | self.runtimes.keys()
                self.runtime_names[id(rt)] = unique_name(_runtime_base(rt.component), taken, "_")
            name = self.runtime_names[id(rt)]
            if name not in self.runtimes:
                self.runtimes[name] = self._runtime_node(rt, ["runtimes", name])
                self.keep.append(rt)

    def _runtime_node(self, rt: WireRuntime, path: Path) -> Node:
        if not isinstance(rt.component, str) or not rt.component:
            raise TypegraphError(
                "component must be a path (a .wasm file or a guest folder)", [*path, "component"]
            )
        instances: Node
        if rt.instances == "fresh":
            spares = rt.spares
            if type(spares) is not int or not 0 <= spares <= MAX_SPARES:
                raise TypegraphError(
                    f"spares must be an integer from 0 to {MAX_SPARES}, got {rt.spares!r}",
                    [*path, "instances", "spares"],
                )
            instances = {"policy": "fresh"}
            if rt.spares != DEFAULT_SPARES:
                instances["spares"] = rt.spares
        elif rt.instances == "pooled":
            if not _positive_int(rt.pool_size):
                raise TypegraphError(
                    f"pool_size must be a positive integer, got {rt.pool_size!r}",
                    [*path, "instances", "size"],
                )
            instances = {"policy": "pooled", "size": rt.pool_size}
        else:
            raise TypegraphError(
                f"unknown instance policy {rt.instances!r}: use 'fresh' or 'pooled'",
                [*path, "instances"],
            )
        limits: Node = {"deadline_ms": rt.deadline_ms, "memory_bytes": rt.memory_bytes}
        if rt.concurrency is not None:
            limits["concurrency"] = rt.concurrency
        for key, value in limits.items():
            if not _positive_int(value):
                raise TypegraphError(
                    f"{key} must be a positive integer, got {value!r}", [*path, "limits", key]
                )
        node: Node = {"kind": rt.kind}
        if isinstance(rt, MessagingComponent):
            node["world"] = rt.world
        if not isinstance(rt, PythonRuntime):  # an inline runtime runs wire's own component
            node["component"] = rt.component
        node |= {"instances": instances, "limits": limits}
        if rt.channels is not None:
            for i, ch in enumerate(rt.channels):
                if ch not in self.g.channels:
                    raise TypegraphError(
                        f"unknown channel {ch!r}: declare it with g.channel({ch!r}, ...)",
                        [*path, "grants", "channels", i],
                    )
            node["grants"] = {"channels": list(rt.channels)}
        if rt.http is not None:
            node.setdefault("grants", {})["http"] = _http_grants(rt.http, [*path, "grants", "http"])
        return node

    def _materializer(self, mat: Materializer, path: Path) -> str:
        if not isinstance(mat.op, str) or not mat.op:
            raise TypegraphError(f"op must be a non-empty string, got {mat.op!r}", path)
        title = mat.op if mat.title is None else mat.title
        if not isinstance(title, str):
            raise TypegraphError(f"title must be a string, got {title!r}", path)
        node: Node = {
            "runtime": self.runtime_names[id(mat.runtime)],
            "op": mat.op,
            "title": title,
            "data": mat.data,
        }
        try:
            key = json.dumps(node, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypegraphError(f"materializer data must be JSON: {exc}", path) from None
        mat_id = self.mat_ids.get(key)
        if mat_id is None:
            mat_id = unique_name(mat.op, self.materializers, "_")
            self.mat_ids[key] = mat_id
            self.materializers[mat_id] = node
        return mat_id

    def _policy(self, pol: object, path: Path) -> str:
        if not isinstance(pol, Policy):
            raise TypegraphError(
                f"expected a policy (Policy.public(), runtime.policy(...)), got {pol!r}", path
            )
        node: Node = {"kind": pol.kind}
        if pol.kind == "custom":
            check_name(pol.name, "policy", path)
            assert pol.materializer is not None
            node["materializer"] = self._materializer(pol.materializer, path)
        seen = self.policies.get(pol.name)
        if seen is not None and seen != node:
            raise TypegraphError(f"two different policies are named {pol.name!r}; rename one", path)
        self.policies[pol.name] = node
        return pol.name

    def _chain(self, chain: Sequence[PolicyLike], path: Path) -> list[str | dict[str, str]]:
        out: list[str | dict[str, str]] = []
        for i, entry in enumerate(chain):
            if isinstance(entry, PolicyOn):
                items = entry.items()
                if not items:
                    raise TypegraphError(
                        "Policy.on() needs at least one effect (read=, create=, ...)",
                        [*path, i],
                    )
                out.append({k: self._policy(p, [*path, i, k]) for k, p in items})
            else:
                out.append(self._policy(entry, [*path, i]))
        return out

    # -- functions, channels -----------------------------------------------------

    def _function(self, name: str) -> Node:
        exp = self.g.functions[name]
        f = exp.func
        path: Path = ["functions", name]
        rt = f.materializer.runtime if isinstance(f.materializer, Materializer) else None
        if isinstance(rt, MessagingComponent):
            if exp.exposed:
                raise TypegraphError(
                    f"{name!r} is the handler of a {rt.world} component: it runs on channel "
                    f"messages and cannot be a GraphQL field; bind it with g.on(channel, ...) "
                    "instead of g.expose",
                    path,
                )
            if f.input is CHANNEL_MESSAGE:
                raise TypegraphError(
                    f"{name!r} is the handler of a {rt.world} component but no channel is "
                    "bound to it: use g.on(channel, rt.handler())",
                    path,
                )
        base = pascal_case(name)
        inp = self.alias.get(id(f.input), f.input)
        if isinstance(inp, Ref):
            self.refs.append((inp.target, [*path, "input"]))
            input_name = inp.target
        elif isinstance(inp, Struct):
            input_name = self._node(inp, base + "Input", [*path, "input"])["name"]
        else:
            raise TypegraphError(
                f"the input of a function must be a t.struct(...), got {_describe(inp)}; "
                "wrap it: t.struct({'value': ...})",
                [*path, "input"],
            )
        output = self._node(f.output, base + "Output", [*path, "output"])
        materializer = self._materializer(f.materializer, [*path, "materializer"])
        if f.effect not in EFFECTS:
            raise TypegraphError(
                f"unknown effect {f.effect!r}: use one of {', '.join(EFFECTS)}", [*path, "effect"]
            )
        if not exp.exposed and f.policies:
            raise TypegraphError(
                f"function {name!r} has a policy but is not exposed; expose it with "
                f"g.expose({name}=...) or drop .with_policy(...)",
                [*path, "policies"],
            )
        chain = f.policies or exp.policies
        if exp.exposed and not chain:
            raise TypegraphError(
                f"exposed function {name!r} has no policy; pass one to g.expose, "
                "e.g. g.expose(Policy.public(), ...), or use .with_policy(...)",
                [*path, "policies"],
            )
        node: Node = {
            "input": input_name,
            "output": output,
            "materializer": materializer,
            "effect": f.effect,
            "exposed": exp.exposed,
            "policies": self._chain(chain, [*path, "policies"]) if exp.exposed else [],
        }
        if f.description is not None:
            node["description"] = f.description
        return node

    def _channel(self, name: str) -> Node:
        ch = self.g.channels[name]
        path: Path = ["channels", name]
        message = self._node(ch.message, pascal_case(name) + "Message", [*path, "message"])
        node: Node = {"message": message, "durable": ch.durable, "kind": ch.kind}
        if ch.handlers:
            node["handlers"] = list(ch.handlers)
        if ch.responders:
            node["responders"] = list(ch.responders)
        if ch.dead_letter is not None:
            node["dead_letter"] = ch.dead_letter
        if ch.options:
            node["options"] = {fn: dict(o) for fn, o in ch.options}
        return node

    def _channel_op(self, name: str) -> Node:
        cx = self.g.channel_ops[name]
        path: Path = ["channel_ops", name]
        if cx.op.channel not in self.g.channels:
            raise TypegraphError(
                f"unknown channel {cx.op.channel!r}: declare it with "
                f"g.channel({cx.op.channel!r}, ...)",
                [*path, "channel"],
            )
        chain = cx.op.policies or cx.policies
        if not chain:
            raise TypegraphError(
                f"exposed channel operation {name!r} has no policy; pass one to g.expose, "
                "e.g. g.expose(Policy.public(), ...), or use .with_policy(...)",
                [*path, "policies"],
            )
        node: Node = {
            "channel": cx.op.channel,
            "operation": cx.op.operation,
            "policies": self._chain(chain, [*path, "policies"]),
        }
        if cx.op.description is not None:
            node["description"] = cx.op.description
        return node


_HTTP_GRANT = re.compile(
    r"(https?://)?([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?"
)


def _http_grants(grants: Sequence[str], path: Path) -> list[str]:
    for i, grant in enumerate(grants):
        if not isinstance(grant, str) or not _HTTP_GRANT.fullmatch(grant):
            raise TypegraphError(
                f"http grant {grant!r} is not a host: write `host`, `host:port` or "
                "`https://host[:port]` (e.g. 'api.example.com', '127.0.0.1:8080')",
                [*path, i],
            )
    if len(set(grants)) != len(grants):
        raise TypegraphError("http grants must not repeat a host", path)
    return list(grants)


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _runtime_base(component: str) -> str:
    """``guest`` -> ``guest``, ``build/my-guest.wasm`` -> ``my_guest``."""
    path = PureWindowsPath(component) if "\\" in component else PurePosixPath(component)
    stem = path.stem if path.suffix in (".wasm", ".wat") else path.name
    base = "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in stem)
    base = base or "runtime"
    if base[0].isdigit():
        base = "_" + base
    return base
