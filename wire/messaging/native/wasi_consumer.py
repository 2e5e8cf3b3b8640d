"""The first `wasi:messaging@0.2.0-draft` (the consumer/handler one; WIT in
wit/messaging/wasi-consumer/): the imports (`messaging-types`, `producer`, `consumer`) as
host functions and resources, and the exported `messaging-guest` (`configure`, `handler`).

It carries the same version string as the current draft: a component is told to be of this
one by its export, `messaging-guest` (see `runtime.World.exports`).

Messages are records, passed by value: the host marks each one it hands out with its
channel (`wire-topic`) and an id (`wire-message-id`) in the metadata, so that the record a
guest gives back to `complete-message` / `abandon-message` names its delivery. Both keys
are dropped from what the guest sends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

import wasmtime
from wasmtime.component import Instance, Linker, Record, ResourceAny, ResourceHost, ResourceType
from wasmtime.component import Variant as Tagged

from ...errors import GuestInitError
from ..message import JSON, Message
from .call import Call, OpError, current, current_or_none
from .configure import subscribe_more
from .exports import export_func

VERSION = "0.2.0-draft"
WORLD = f"wasi:messaging@{VERSION}"  # the package: the same as the current draft's
# Host resource type ids (unique among the host resources of this linker).
CLIENT, ERROR = 0x5749_0011, 0x5749_0012
TOPIC = "wire-topic"  # metadata: the channel a handed-out message came on
MESSAGE_ID = "wire-message-id"  # metadata: which delivery it is (complete / abandon)
_OURS = (TOPIC, MESSAGE_ID)


def iface(name: str) -> str:
    return f"wasi:messaging/{name}@{VERSION}"


EXPORTS = iface("messaging-guest")


@dataclass
class _Client:
    name: str


@dataclass
class _Error:
    message: str


def _own(obj: object, ty: int) -> ResourceHost:
    return ResourceHost.own(current().resources.add(obj), ty)


def _rep(store: wasmtime.Store, res: Any) -> int:
    rep: int = res.to_host(store).rep
    return rep


def _fallible(fn: Callable[..., Any]) -> Callable[..., Any]:
    """An `OpError` becomes the guest's `err(error)`: an error resource, whose `trace`
    says what went wrong."""

    @wraps(fn)
    def wrapper(*args: Any) -> Any:
        try:
            return fn(*args)
        except OpError as e:
            return _error(e)

    return wrapper


def _error(e: OpError) -> ResourceHost:
    text = f"{e.kind}: {e.message}"
    call = current()
    call.last_error = text
    return _own(_Error(text), ERROR)


def _drop(_store: object, rep: int) -> None:
    call = current_or_none()
    if call is not None:
        call.resources.drop(rep)


# -- messages ------------------------------------------------------------------------


def to_record(message: Message, channel: str, rid: str) -> Record:
    """A delivered message as the guest sees it: its data (`raw`) and metadata, with the
    channel and the id the host needs back."""
    r = Record()
    meta = [(k, v) for k, v in message.metadata.items() if k not in _OURS]
    meta += [(TOPIC, channel), (MESSAGE_ID, rid)]
    for key, value in (("data", message.data), ("format", "raw"), ("metadata", meta)):
        setattr(r, key, value)
    return r


def _metadata(record: Record) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in (getattr(record, "metadata", None) or [])]


def _id_of(record: Record) -> str:
    for key, value in _metadata(record):
        if key == MESSAGE_ID:
            return value
    raise OpError(
        "other", f"the message has no {MESSAGE_ID}: only messages this component received settle"
    )


def _outgoing(record: Record, channel: str) -> Message:
    meta = {k: v for k, v in _metadata(record) if k not in _OURS}
    return Message(channel, bytes(getattr(record, "data")), JSON, meta)  # noqa: B009


# -- messaging-types -------------------------------------------------------------------


def _connect(_store: object, name: str) -> Tagged:
    return Tagged("ok", _own(_Client(name), CLIENT))  # ok and err both resources: tagged


def _trace(_store: object) -> str:
    call = current_or_none()
    return call.last_error if call is not None else ""


# -- producer, consumer ------------------------------------------------------------------


@_fallible
def _send(store: wasmtime.Store, client: ResourceAny, channel: str, ms: list[Record]) -> None:
    call = current()
    call.resources.take(_rep(store, client), _Client)
    for m in ms:
        call.send(_outgoing(m, channel))


def _received(call: Call, channel: str, timeout_s: float) -> list[Record] | None:
    got = call.receive(channel, timeout_s)
    if got is None:
        return None
    rid, d = got
    return [to_record(d.message, channel, rid)]


def _try_receive(
    store: wasmtime.Store, client: ResourceAny, channel: str, timeout_ms: int
) -> list[Record] | None:
    """wasmtime-py cannot return this function's `err`: its `ok` is an option, which the
    Python API cannot tell from an error resource. An error traps the guest instead (a
    failed attempt, with the reason)."""
    call = current()
    call.resources.take(_rep(store, client), _Client)
    try:
        return _received(call, channel, timeout_ms / 1000)
    except OpError as e:
        call.last_error = f"{e.kind}: {e.message}"
        raise wasmtime.WasmtimeError(f"subscribe-try-receive({channel!r}): {e.message}") from None


@_fallible
def _receive(store: wasmtime.Store, client: ResourceAny, channel: str) -> list[Record]:
    """Waits until the guest's deadline at most (then `err`: the call ends there anyway)."""
    call = current()
    call.resources.take(_rep(store, client), _Client)
    got = _received(call, channel, call.remaining_s())
    if got is None:
        raise OpError("timeout", f"no message on {channel!r} before the guest's deadline")
    return got


@_fallible
def _update_configuration(_store: object, config: Record) -> None:
    subscribe_more(current(), [str(c) for c in getattr(config, "channels")])  # noqa: B009


@_fallible
def _complete(_store: object, m: Record) -> None:
    current().settle(_id_of(m), True)


@_fallible
def _abandon(_store: object, m: Record) -> None:
    current().settle(_id_of(m), False)


def link(linker: Linker) -> None:
    """Define the imports of the first draft (messaging-types, producer, consumer)."""
    with linker.root() as root:
        with root.add_instance(iface("messaging-types")) as types:
            types.add_resource("client", ResourceType.host(CLIENT), _drop)
            types.add_resource("error", ResourceType.host(ERROR), _drop)
            types.add_func("[static]client.connect", _connect)
            types.add_func("[static]error.trace", _trace)
        with root.add_instance(iface("producer")) as producer:
            producer.add_func("send", _send)
        with root.add_instance(iface("consumer")) as consumer:
            consumer.add_func("subscribe-try-receive", _try_receive)
            consumer.add_func("subscribe-receive", _receive)
            consumer.add_func("update-guest-configuration", _update_configuration)
            consumer.add_func("complete-message", _complete)
            consumer.add_func("abandon-message", _abandon)


# -- the export --------------------------------------------------------------------------


class Guest:
    """The `messaging-guest` export of one instance."""

    def __init__(self, store: wasmtime.Store, instance: Instance, where: str) -> None:
        self.store = store
        self.where = where
        self._configure = export_func(store, instance, EXPORTS, "configure", where)
        self._handler = export_func(store, instance, EXPORTS, "handler", where)

    def configure(self) -> list[str]:
        """The channels the guest asks for; `GuestInitError` when it returns an error."""
        res = self._configure(self.store)
        err = self._error_text(res)
        self._configure.post_return(self.store)
        if err is not None:
            raise GuestInitError(f"configure() returned an error: {err}", where=self.where)
        return [str(c) for c in getattr(res, "channels")]  # noqa: B009

    def handler(self, records: list[Record]) -> str | None:
        """Hand the guest a batch: None when its handler returned ok, else its error."""
        res = self._handler(self.store, records)
        err = self._error_text(res)
        self._handler.post_return(self.store)
        return err

    def _error_text(self, res: Any) -> str | None:
        """None for an `ok`, else what the `error` resource returned says."""
        if not isinstance(res, ResourceAny):
            return None
        rep = _rep(self.store, res)
        call = current_or_none()
        found = call.resources.pop(rep) if call is not None else None
        return found.message if isinstance(found, _Error) else "an error"


def bind(store: wasmtime.Store, instance: Instance, where: str) -> Guest:
    return Guest(store, instance, where)
