"""A typegraph document read once into typed, frozen records, with every default in one
place (docs/typegraph-document.md). The host, the gateway, messaging and the generators
read this, never the document's dicts.

    tg = typegraph.model.read(document)     # validates, then builds: a `Model`
    tg.functions["add"].materializer.op
    tg.channels["orders.placed"].options["ship"].backoff.delay(2)
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

import orjson

from .channel_op import OPERATION_EFFECTS
from .document import Document, validate_document
from .schema import function_schemas, json_schema

Effect = Literal["read", "create", "update", "delete"]
InstancesPolicy = Literal["fresh", "pooled"]
PolicyKind = Literal["public", "deny", "internal", "custom"]
ChannelKind = Literal["pubsub", "queue"]
Operation = Literal["subscribe", "publish"]
Node = Mapping[str, Any]  # a type node (see docs: Type nodes)

DEFAULT_DEADLINE_MS = 10_000
DEFAULT_MEMORY_BYTES = 128 * 2**20
DEFAULT_POOL_SIZE = 4
# Fresh instances a runtime keeps made ahead of their call (see wire.instances).
DEFAULT_SPARES = 1
MAX_SPARES = 64
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_CONCURRENCY = 1


@dataclass(frozen=True)
class Backoff:
    """Retry delays of a handler: ``initial`` seconds after the first failure, times
    ``multiplier`` after each next one, at most ``max`` seconds."""

    initial: float = 0.1
    max: float = 30.0
    multiplier: float = 2.0

    def delay(self, attempt: int) -> float:
        """The wait after failed attempt number `attempt` (1-based)."""
        return float(min(self.max, self.initial * self.multiplier ** max(0, attempt - 1)))

    def to_document(self) -> dict[str, Any]:
        return {
            "initial_ms": round(self.initial * 1000),
            "max_ms": round(self.max * 1000),
            "multiplier": self.multiplier,
        }

    @classmethod
    def from_document(cls, node: Mapping[str, Any] | None) -> Backoff:
        if not node:
            return cls()
        return cls(node["initial_ms"] / 1000, node["max_ms"] / 1000, float(node["multiplier"]))


@dataclass(frozen=True)
class Limits:
    """A runtime's limits. `concurrency`: calls it runs at once (None: the host decides)."""

    deadline_ms: int = DEFAULT_DEADLINE_MS
    memory_bytes: int = DEFAULT_MEMORY_BYTES
    concurrency: int | None = None


@dataclass(frozen=True)
class Instances:
    policy: InstancesPolicy = "fresh"
    size: int = DEFAULT_POOL_SIZE  # the pool's size (pooled)
    spares: int = DEFAULT_SPARES  # instances made ahead of their call (fresh)


@dataclass(frozen=True)
class Runtime:
    """Where materializers run: a component of `kind` (`wire`, `messaging`, `python`, ...)."""

    name: str
    kind: str
    component: str
    instances: Instances = field(default_factory=Instances)
    limits: Limits = field(default_factory=Limits)
    channels: frozenset[str] = frozenset()  # the channels its guests may use
    world: str | None = None  # a messaging runtime's world
    http: frozenset[str] = (
        frozenset()
    )  # the HTTP hosts its guests may reach (`[scheme://]host[:port]`)


@dataclass(frozen=True)
class Materializer:
    """An op on a runtime; what `init` tells the guest about it (wit-wire `mat-info`)."""

    id: str
    runtime: str
    op: str
    title: str
    data: Any

    @cached_property
    def data_json(self) -> str:
        return orjson.dumps(self.data, option=orjson.OPT_SORT_KEYS).decode()

    @cached_property
    def hash(self) -> str:
        raw = orjson.dumps(
            {"op": self.op, "title": self.title, "data": self.data},
            option=orjson.OPT_SORT_KEYS,
        )
        return hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True)
class Policy:
    name: str
    kind: PolicyKind
    materializer: Materializer | None = None  # a custom policy's op


@dataclass(frozen=True)
class ChainEntry:
    """One entry of a policy chain: a policy for every effect, or per effect (an effect
    left out passes)."""

    policy: Policy | None = None
    by_effect: Mapping[str, Policy] = field(default_factory=dict)

    def for_effect(self, effect: str) -> Policy | None:
        return self.policy if self.policy is not None else self.by_effect.get(effect)


@dataclass(frozen=True)
class Function:
    name: str
    input: str  # a struct of `types`
    output: Node
    materializer: Materializer
    effect: Effect = "read"
    exposed: bool = False
    policies: tuple[ChainEntry, ...] = ()
    description: str | None = None

    def chain(self) -> list[Policy]:
        """Its policy chain as it applies to its effect."""
        return [p for e in self.policies if (p := e.for_effect(self.effect)) is not None]


@dataclass(frozen=True)
class Delivery:
    """How a bound function gets a channel's messages (a handler's or a responder's)."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    backoff: Backoff = field(default_factory=Backoff)
    concurrency: int = DEFAULT_CONCURRENCY
    dead_letter: str | None = None  # overrides the channel's


@dataclass(frozen=True)
class Channel:
    name: str
    message: Node
    durable: bool = False
    kind: ChannelKind = "pubsub"
    handlers: tuple[str, ...] = ()
    responders: tuple[str, ...] = ()
    dead_letter: str = ""  # default: `<name>.dead`
    options: Mapping[str, Delivery] = field(default_factory=dict)

    def delivery(self, function: str) -> Delivery:
        return self.options.get(function) or Delivery()


@dataclass(frozen=True)
class ChannelOp:
    """A channel exposed over GraphQL under `name`: a subscription or a publish."""

    name: str
    channel: str
    operation: Operation
    policies: tuple[ChainEntry, ...]
    description: str | None = None

    @property
    def effect(self) -> str:
        return OPERATION_EFFECTS[self.operation]

    def chain(self) -> list[Policy]:
        return [p for e in self.policies if (p := e.for_effect(self.effect)) is not None]


@dataclass(frozen=True)
class Model:
    """A validated typegraph document, typed. `document` is the document itself (what
    JSON Schemas are derived from)."""

    name: str
    document: Document
    runtimes: Mapping[str, Runtime]
    materializers: Mapping[str, Materializer]
    policies: Mapping[str, Policy]
    functions: Mapping[str, Function]
    channels: Mapping[str, Channel]
    channel_ops: Mapping[str, ChannelOp]
    basic_users: tuple[str, ...] = ()

    @property
    def types(self) -> Mapping[str, Node]:
        types: Mapping[str, Node] = self.document["types"]
        return types

    def exposed(self) -> dict[str, Function]:
        return {n: f for n, f in self.functions.items() if f.exposed}

    def function_schemas(self, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(input, output) JSON Schemas of function `name`."""
        return function_schemas(self.document, name)

    def json_schema(self, node: Node) -> dict[str, Any]:
        return json_schema(self.document, node)

    def materializers_of(self, runtime: str) -> list[Materializer]:
        return [m for m in self.materializers.values() if m.runtime == runtime]


def read(document: Document) -> Model:
    """The typed typegraph of `document`; a `TypegraphError` (with the path) when it is
    not valid."""
    validate_document(document)
    mats = {
        mid: Materializer(mid, m["runtime"], m["op"], m.get("title", m["op"]), m.get("data", {}))
        for mid, m in document["materializers"].items()
    }
    policies = {
        name: Policy(name, p["kind"], mats.get(p.get("materializer", "")))
        for name, p in document["policies"].items()
    }

    def chain(items: list[Any]) -> tuple[ChainEntry, ...]:
        return tuple(
            ChainEntry(policy=policies[i])
            if isinstance(i, str)
            else ChainEntry(by_effect=MappingProxyType({e: policies[n] for e, n in i.items()}))
            for i in items
        )

    runtimes = {}
    for name, r in document["runtimes"].items():
        inst, lim = r.get("instances", {}), r.get("limits", {})
        runtimes[name] = Runtime(
            name=name,
            kind=r["kind"],
            component=r.get("component", ""),  # none for kind `python`: wire's own
            instances=Instances(
                inst.get("policy", "fresh"),
                inst.get("size", DEFAULT_POOL_SIZE),
                inst.get("spares", DEFAULT_SPARES),
            ),
            limits=Limits(
                lim.get("deadline_ms", DEFAULT_DEADLINE_MS),
                lim.get("memory_bytes", DEFAULT_MEMORY_BYTES),
                lim.get("concurrency"),
            ),
            channels=frozenset(r.get("grants", {}).get("channels", ())),
            world=r.get("world"),
            http=frozenset(r.get("grants", {}).get("http", ())),
        )
    functions = {
        name: Function(
            name=name,
            input=f["input"],
            output=f["output"],
            materializer=mats[f["materializer"]],
            effect=f.get("effect", "read"),
            exposed=bool(f.get("exposed", False)),
            policies=chain(f.get("policies", [])),
            description=f.get("description"),
        )
        for name, f in document["functions"].items()
    }
    channels = {
        name: Channel(
            name=name,
            message=c["message"],
            durable=bool(c.get("durable", False)),
            kind=c.get("kind", "pubsub"),
            handlers=tuple(c.get("handlers", ())),
            responders=tuple(c.get("responders", ())),
            dead_letter=c.get("dead_letter") or f"{name}.dead",
            options=MappingProxyType(
                {
                    fn: Delivery(
                        o.get("max_attempts", DEFAULT_MAX_ATTEMPTS),
                        Backoff.from_document(o.get("backoff")),
                        o.get("concurrency", DEFAULT_CONCURRENCY),
                        o.get("dead_letter"),
                    )
                    for fn, o in c.get("options", {}).items()
                }
            ),
        )
        for name, c in document.get("channels", {}).items()
    }
    ops = {
        name: ChannelOp(
            name, o["channel"], o["operation"], chain(o["policies"]), o.get("description")
        )
        for name, o in document.get("channel_ops", {}).items()
    }
    return Model(
        name=document["name"],
        document=document,
        runtimes=MappingProxyType(runtimes),
        materializers=MappingProxyType(mats),
        policies=MappingProxyType(policies),
        functions=MappingProxyType(functions),
        channels=MappingProxyType(channels),
        channel_ops=MappingProxyType(ops),
        basic_users=tuple(document.get("auth", {}).get("basic", ())),
    )
