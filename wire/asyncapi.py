"""The AsyncAPI 3.0 document of a typegraph: `wire asyncapi <tg.py>`, `GET /<tg>/asyncapi.json`.

The application it describes is a wire process running the typegraph (`wire serve` or
`wire consume`) on one broker, the document's only server. Read from the typegraph
document alone:

- **channels**: each channel of the typegraph, its address on that broker and its message,
  whose payload is the JSON Schema of the channel's type (named types in
  `components.schemas`); each handler's dead-letter channel (declared or not), whose
  message carries the `wire-*` headers; a reply channel per responder (the reply goes to
  each request's own reply topic);
- **operations**: each handler and responder `receive`s (a responder's `reply` names its
  result's schema), each runtime granted a channel `send`s on it, each handler sends what
  it gives up on to its dead-letter channel, each GraphQL publish mutation sends and each
  subscription receives.

The payload schemas are the Draft 2020-12 schemas of `typegraph.json_schema` with `$defs`
moved to `components.schemas`: the keywords they use mean the same in AsyncAPI's
(draft-07 based) Schema Object.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

import orjson

import typegraph

from .messaging.urls import redacted

VERSION = "3.0.0"
CONTENT_TYPE = "application/json"
SERVER = "broker"  # the one server's key
DEFS = "#/$defs/"
SCHEMAS = "#/components/schemas/"
# Where a request's reply goes: the reply topic each backend carries beside the message.
REPLY_LOCATION = "$message.header#/reply-to"
REPLY_WHERE = (
    "the request's reply topic: the NATS reply subject, the AMQP `reply_to` property, the "
    "MQTT 5 response topic, the Redis Streams entry's `reply-to` field"
)
# Metadata wire adds to a dead letter (wire/messaging/message.py).
DEAD_LETTER_HEADERS = {
    "wire-attempts": "how many times the message was tried",
    "wire-error": "why the last attempt failed",
    "wire-channel": "the channel the message came from",
    "wire-handler": "the handler that gave up on it",
}
# scheme -> (AsyncAPI protocol, protocol version, default port)
_PROTOCOLS: dict[str, tuple[str, str | None, int | None]] = {
    "memory": ("wire-embedded", None, None),
    "nats": ("nats", None, 4222),
    "tls": ("nats", None, 4222),
    "amqp": ("amqp", "0.9.1", 5672),
    "amqps": ("amqps", "0.9.1", 5671),
    "redis": ("redis", None, 6379),
    "rediss": ("redis", None, 6379),
    "mqtt": ("mqtt", "5", 1883),
    "mqtts": ("secure-mqtt", "5", 8883),
}


def asyncapi(doc: dict[str, Any], broker: str = "memory://") -> dict[str, Any]:
    """The AsyncAPI 3.0 document of the typegraph document `doc` run on `broker` (a broker
    URL as `--broker` takes it; its password is left out)."""
    return _Builder(doc, broker).build()


def server(broker: str) -> dict[str, Any]:
    """The AsyncAPI server object of the broker URL `broker`."""
    parts = urlsplit(broker)
    scheme = parts.scheme
    protocol, version, port = _PROTOCOLS.get(scheme, (scheme or "unknown", None, None))
    out: dict[str, Any]
    if scheme == "memory":
        out = {
            "host": "localhost",
            "protocol": protocol,
            "description": "wire's embedded broker (memory://): in the wire process itself, "
            "reached only by the typegraphs it runs. Run it with --broker (or WIRE_BROKER) "
            "set to a NATS, RabbitMQ, Redis or MQTT URL to reach its channels from outside.",
        }
    else:
        host = parts.hostname or "localhost"
        host = f"[{host}]" if ":" in host else host
        out = {"host": f"{host}:{parts.port or port}" if parts.port or port else host}
        out["protocol"] = protocol
        if version is not None:
            out["protocolVersion"] = version
        if parts.path and parts.path != "/":
            out["pathname"] = parts.path
        out["description"] = (
            f"the broker wire runs this typegraph's channels on: {redacted(broker)}"
        )
    out["x-wire-broker"] = redacted(broker)
    return out


def address(channel: str, broker: str) -> str:
    """Where the channel named `channel` lives on the broker of URL `broker`."""
    scheme = urlsplit(broker).scheme
    if scheme.startswith("mqtt"):
        return channel.replace(".", "/")
    if scheme.startswith("redis"):
        return f"wire:{channel}"
    return channel  # the NATS subject, the RabbitMQ routing key (exchange `wire`)


def _ref(*parts: str) -> dict[str, str]:
    return {"$ref": "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)}


def _rewrite(node: Any) -> Any:
    """`node` with its `#/$defs/X` references pointing at `#/components/schemas/X`."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(DEFS):
                out[key] = SCHEMAS + value[len(DEFS) :]
            else:
                out[key] = _rewrite(value)
        return out
    if isinstance(node, list):
        return [_rewrite(v) for v in node]
    return node


class _Builder:
    def __init__(self, doc: dict[str, Any], broker: str) -> None:
        self.doc = doc
        self.broker = broker
        self.schemas: dict[str, Any] = {}
        self.channels: dict[str, Any] = {}
        self.operations: dict[str, Any] = {}

    def build(self) -> dict[str, Any]:
        doc = self.doc
        for name, ch in doc.get("channels", {}).items():
            self._channel(name, ch)
        for name, ch in doc.get("channels", {}).items():
            self._bindings(name, ch)
        for name, rt in doc.get("runtimes", {}).items():
            for channel in rt.get("grants", {}).get("channels", []):
                self._send(
                    f"send:{channel}:{name}",
                    channel,
                    f"runtime {name} sends on {channel}",
                    f"The guests of runtime `{name}` may send on `{channel}` (and request, "
                    "and receive from it): the channel is granted to them.",
                    {"x-wire-runtime": name},
                )
        for field, op in doc.get("channel_ops", {}).items():
            if op["operation"] == "publish":
                self._send(
                    f"graphql:{field}",
                    op["channel"],
                    f"the GraphQL mutation {field} publishes on {op['channel']}",
                    op.get("description", ""),
                    {"x-wire-graphql": field},
                )
            else:
                self._receive(
                    f"graphql:{field}",
                    op["channel"],
                    f"the GraphQL subscription {field} streams {op['channel']}",
                    op.get("description", ""),
                    {"x-wire-graphql": field},
                )
        out: dict[str, Any] = {
            "asyncapi": VERSION,
            "info": {
                "title": doc["name"],
                "version": self._version(),
                "description": f"The channels of typegraph `{doc['name']}` as a wire process "
                "running it (`wire serve`, `wire consume`) uses them. The version is a hash "
                "of the typegraph document.",
            },
            "servers": {SERVER: server(self.broker)},
            "defaultContentType": CONTENT_TYPE,
            "channels": self.channels,
            "operations": self.operations,
        }
        if self.schemas:
            out["components"] = {"schemas": dict(sorted(self.schemas.items()))}
        return out

    def _version(self) -> str:
        canonical = orjson.dumps(self.doc, option=orjson.OPT_SORT_KEYS)
        return "sha256:" + hashlib.sha256(canonical).hexdigest()[:16]

    def _schema(self, node: dict[str, Any]) -> Any:
        """The payload schema of the type node `node`; its named types go to components."""
        schema = typegraph.json_schema(self.doc, node)
        schema.pop("$schema", None)
        for name, definition in schema.pop("$defs", {}).items():
            self.schemas[name] = _rewrite(definition)
        return _rewrite(schema)

    @staticmethod
    def _message_name(node: dict[str, Any], fallback: str) -> str:
        return str(node["name"]) if node.get("kind") == "ref" else fallback

    def _channel(self, name: str, ch: dict[str, Any]) -> None:
        kind = ch.get("kind", "pubsub")
        durable = bool(ch.get("durable"))
        message = self._message_name(ch["message"], "Message")
        how = (
            "each message goes to one consumer (one group for all)"
            if kind == "queue"
            else "each handler (a consumer group each) and each subscriber gets every message"
        )
        self.channels[name] = {
            "address": address(name, self.broker),
            "title": name,
            "description": f"A {'durable' if durable else 'non-durable'} {kind} channel: {how}.",
            "messages": {
                message: {
                    "name": message,
                    "contentType": CONTENT_TYPE,
                    "payload": self._schema(ch["message"]),
                    "headers": _headers(),
                }
            },
            "x-wire-kind": kind,
            "x-wire-durable": durable,
        }

    def _bindings(self, name: str, ch: dict[str, Any]) -> None:
        options = ch.get("options", {})
        for fn in ch.get("handlers", []):
            o = options.get(fn, {})
            dead = o.get("dead_letter") or ch.get("dead_letter") or f"{name}.dead"
            attempts = int(o.get("max_attempts", 5))
            self._receive(
                f"receive:{name}:{fn}",
                name,
                f"{fn} handles {name}",
                f"The handler `{fn}` gets each message; acked once it succeeds, else retried "
                f"with backoff, and after {attempts} attempt(s) sent to `{dead}`.",
                {"x-wire-function": fn, "x-wire-delivery": o},
            )
            self._dead_letters(dead, name, ch)
            self._send(
                f"dead-letter:{name}:{fn}",
                dead,
                f"{fn} dead-letters {name}",
                f"What `{fn}` gave up on: the message as it came, with the `wire-*` headers.",
                {"x-wire-function": fn},
            )
        for fn in ch.get("responders", []):
            reply = f"reply:{name}:{fn}"
            output = self.doc["functions"][fn]["output"]
            result = self._message_name(output, f"{fn[:1].upper()}{fn[1:]}Reply")
            self.channels[reply] = {
                "address": None,
                "title": f"replies of {fn}",
                "description": f"The replies of `{fn}` to requests on `{name}`: each goes to "
                f"its request's own reply topic ({REPLY_WHERE}). A failed reply carries the "
                "header `wire-error`.",
                "messages": {
                    result: {
                        "name": result,
                        "contentType": CONTENT_TYPE,
                        "payload": self._schema(output),
                        "headers": _headers(),
                    }
                },
            }
            self._receive(
                f"receive:{name}:{fn}",
                name,
                f"{fn} answers requests on {name}",
                f"The responder `{fn}` answers each request with its result.",
                {
                    "x-wire-function": fn,
                    "reply": {
                        "address": {"location": REPLY_LOCATION, "description": REPLY_WHERE},
                        "channel": _ref("channels", reply),
                        "messages": [_ref("channels", reply, "messages", result)],
                    },
                },
            )

    def _dead_letters(self, dead: str, origin: str, ch: dict[str, Any]) -> None:
        """The dead-letter channel `dead` of `origin`, unless the typegraph declares it."""
        if dead in self.doc.get("channels", {}):
            return
        message = self._message_name(ch["message"], "Message")
        entry = self.channels.setdefault(
            dead,
            {
                "address": address(dead, self.broker),
                "title": dead,
                "description": "Dead letters: the messages a handler gave up on, as they came, "
                "with the `wire-*` headers that say why.",
                "messages": {},
                "x-wire-kind": "queue",
                "x-wire-durable": True,
            },
        )
        entry["messages"][message] = {
            "name": message,
            "contentType": CONTENT_TYPE,
            "payload": self._schema(ch["message"]),
            "headers": _headers(DEAD_LETTER_HEADERS),
            "description": f"A message of `{origin}` a handler gave up on.",
        }

    def _operation(
        self,
        key: str,
        action: str,
        channel: str,
        title: str,
        description: str,
        extra: dict[str, Any],
    ) -> None:
        if channel not in self.channels:
            return  # the document is validated: every channel it names exists
        op: dict[str, Any] = {
            "action": action,
            "channel": _ref("channels", channel),
            "title": title,
            "messages": [
                _ref("channels", channel, "messages", m) for m in self.channels[channel]["messages"]
            ],
        }
        if description:
            op["description"] = description
        op.update(extra)
        self.operations[key] = op

    def _receive(
        self, key: str, channel: str, title: str, description: str, extra: dict[str, Any]
    ) -> None:
        self._operation(key, "receive", channel, title, description, extra)

    def _send(
        self, key: str, channel: str, title: str, description: str, extra: dict[str, Any]
    ) -> None:
        self._operation(key, "send", channel, title, description, extra)


def _headers(required: dict[str, str] | None = None) -> dict[str, Any]:
    """The metadata of a message: string values (`required` ones described)."""
    out: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "string"}}
    if required:
        out["properties"] = {k: {"type": "string", "description": v} for k, v in required.items()}
        out["required"] = list(required)
    return out
