"""`wasi:messaging@0.2.0-draft`: the imports (`types`, `producer`, `request-reply`) as host
functions and resources, and the `incoming-handler.handle` export."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

import wasmtime
from wasmtime import StoreContext as Store
from wasmtime.component import Instance, Linker, ResourceAny, ResourceHost, ResourceType, Variant

from ..message import JSON, Message
from .call import OpError, current, current_or_none
from .exports import Handle, export_func

VERSION = "0.2.0-draft"
WORLD = f"wasi:messaging@{VERSION}"
# Host resource type ids (any integers unique among this linker's host resources).
CLIENT, MESSAGE, OPTIONS = 0x5749_0001, 0x5749_0002, 0x5749_0003


def _iface(name: str) -> str:
    return f"wasi:messaging/{name}@{VERSION}"


EXPORTS = _iface("incoming-handler")  # what a component of this world exports


@dataclass
class _Client:
    name: str


@dataclass
class _Message:
    data: bytes
    topic: str | None = None
    content_type: str | None = None
    metadata: list[tuple[str, str]] = field(default_factory=list)
    origin: Message | None = None  # the delivered message this handle stands for

    def to_wire(self, topic: str) -> Message:
        return Message(topic, self.data, self.content_type or JSON, dict(self.metadata))


@dataclass
class _Options:
    timeout_ms: int | None = None
    expected: int = 1


def _own(obj: object, ty: int) -> ResourceHost:
    return ResourceHost.own(current().resources.add(obj), ty)


def _get(rep: int, kind: type[Any]) -> Any:
    return current().resources.get(rep, kind)


def _take(rep: int, kind: type[Any]) -> Any:
    return current().resources.take(rep, kind)


def _reps(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The resource arguments of `fn` become their reps before it runs.

    `to_host` releases a handle from the store's host table: wasmtime traps the guest
    ("borrow handles still remain at the end of the call") if a borrowed one is still
    there when the host function returns, whatever it returned or raised.
    """

    @wraps(fn)
    def wrapper(store: Store, *args: Any) -> Any:
        reps = [a.to_host(store).rep if isinstance(a, ResourceAny) else a for a in args]
        return fn(store, *reps)

    return wrapper


def _drop(_store: object, rep: int) -> None:
    call = current_or_none()
    if call is not None:
        call.resources.drop(rep)


def _result(fn: Callable[..., Any]) -> Callable[..., Any]:
    """An `OpError` becomes the guest's `error` variant (a `result`'s err case)."""

    @wraps(fn)
    def wrapper(*args: Any) -> Any:
        try:
            return fn(*args)
        except OpError as e:
            return Variant(e.kind, None if e.kind == "timeout" else e.message)

    return wrapper


# -- types ---------------------------------------------------------------------------


@_result
def _connect(_store: object, name: str) -> ResourceHost:
    return _own(_Client(name), CLIENT)


@_result
@_reps
def _disconnect(_store: object, client: int) -> None:
    _get(client, _Client)


def _message_new(_store: object, data: bytes) -> ResourceHost:
    return _own(_Message(bytes(data)), MESSAGE)


def _msg_method(
    fn: Callable[..., Any],
) -> Callable[..., Any]:
    @_reps
    def method(_store: object, res: int, *args: Any) -> Any:
        return fn(_get(res, _Message), *args)

    return method


def _set_content_type(m: _Message, ct: str) -> None:
    m.content_type = ct


def _set_data(m: _Message, data: bytes) -> None:
    m.data = bytes(data)


def _add_metadata(m: _Message, key: str, value: str) -> None:
    m.metadata = [(k, v) for k, v in m.metadata if k != key] + [(key, value)]


def _set_metadata(m: _Message, meta: list[tuple[str, str]]) -> None:
    m.metadata = [(k, v) for k, v in meta]


def _remove_metadata(m: _Message, key: str) -> None:
    m.metadata = [(k, v) for k, v in m.metadata if k != key]


_MESSAGE_METHODS: dict[str, Callable[..., Any]] = {
    "topic": lambda m: m.topic,
    "content-type": lambda m: m.content_type,
    "set-content-type": _set_content_type,
    "data": lambda m: m.data,
    "set-data": _set_data,
    "metadata": lambda m: list(m.metadata),
    "add-metadata": _add_metadata,
    "set-metadata": _set_metadata,
    "remove-metadata": _remove_metadata,
}

# -- producer, request-reply ------------------------------------------------------------


@_result
@_reps
def _send(_store: object, client: int, topic: str, msg: int) -> None:
    _get(client, _Client)
    m: _Message = _take(msg, _Message)
    current().send(m.to_wire(topic))


def _options_new(_store: object) -> ResourceHost:
    return _own(_Options(), OPTIONS)


@_reps
def _set_timeout(_store: object, res: int, ms: int) -> None:
    _get(res, _Options).timeout_ms = ms


@_reps
def _set_expected(_store: object, res: int, n: int) -> None:
    _get(res, _Options).expected = n


@_result
@_reps  # two borrows: wasmtime calls this only without concurrency support (see .engine)
def _request(
    _store: object, client: int, topic: str, msg: int, options: int | None
) -> list[ResourceHost]:
    _get(client, _Client)
    m: _Message = _get(msg, _Message)
    opts: _Options = _take(options, _Options) if options is not None else _Options()
    timeout = opts.timeout_ms / 1000 if opts.timeout_ms else None
    replies = current().request(m.to_wire(topic), timeout, opts.expected)
    return [
        _own(_Message(r.data, r.topic, r.content_type, list(r.metadata.items()), origin=r), MESSAGE)
        for r in replies
    ]


@_result
@_reps
def _reply(_store: object, reply_to: int, msg: int) -> None:
    request: _Message = _get(reply_to, _Message)
    m: _Message = _take(msg, _Message)
    if request.origin is None:
        raise OpError("other", "reply-to must be a message this component received")
    current().reply(request.origin, m.to_wire(request.origin.reply_to or ""))


def link(linker: Linker) -> None:
    """Define the imports of `wasi:messaging` (types, producer, request-reply)."""
    with linker.root() as root:
        with root.add_instance(_iface("types")) as types:
            types.add_resource("client", ResourceType.host(CLIENT), _drop)
            types.add_resource("message", ResourceType.host(MESSAGE), _drop)
            types.add_func("[static]client.connect", _connect)
            types.add_func("[method]client.disconnect", _disconnect)
            types.add_func("[constructor]message", _message_new)
            for name, fn in _MESSAGE_METHODS.items():
                types.add_func(f"[method]message.{name}", _msg_method(fn))
        with root.add_instance(_iface("producer")) as producer:
            producer.add_func("send", _send)
        with root.add_instance(_iface("request-reply")) as rr:
            rr.add_resource("request-options", ResourceType.host(OPTIONS), _drop)
            rr.add_func("[constructor]request-options", _options_new)
            rr.add_func("[method]request-options.set-timeout-ms", _set_timeout)
            rr.add_func("[method]request-options.set-expected-replies", _set_expected)
            rr.add_func("request", _request)
            rr.add_func("reply", _reply)


def bind(store: wasmtime.Store, instance: Instance, where: str) -> Handle:
    """The guest's `incoming-handler.handle`: message -> None, or the error it returned."""
    fn = export_func(store, instance, _iface("incoming-handler"), "handle", where)

    def handle(message: Message) -> str | None:
        m = _Message(
            message.data,
            message.topic,
            message.content_type,
            list(message.metadata.items()),
            origin=message,
        )
        res = fn(store, _own(m, MESSAGE))
        fn.post_return(store)
        if res is None:
            return None
        if isinstance(res, Variant):
            return res.tag if res.payload is None else f"{res.tag}: {res.payload}"
        return str(res)

    return handle
