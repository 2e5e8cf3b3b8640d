"""`wasmcloud:messaging@0.2.0`: the `consumer` import (publish, request) as host functions,
and the `handler.handle-message` export.

wasmCloud replies by publishing on a message's reply-to subject: a publish on the reply-to
of the message being handled is a reply to it.
"""

from __future__ import annotations

import wasmtime
from wasmtime.component import Instance, Linker, Record

from ..message import JSON, Message
from .call import OpError, current
from .exports import Handle, export_func

VERSION = "0.2.0"
WORLD = f"wasmcloud:messaging@{VERSION}"


def _iface(name: str) -> str:
    return f"wasmcloud:messaging/{name}@{VERSION}"


EXPORTS = _iface("handler")  # what a component of this world exports


def _record(subject: str, body: bytes, reply_to: str | None) -> Record:
    r = Record()
    for key, value in (("subject", subject), ("body", body), ("reply-to", reply_to)):
        setattr(r, key, value)
    return r


def _publish(_store: object, msg: Record) -> str | None:
    call = current()
    subject: str = getattr(msg, "subject")  # noqa: B009 (Record attributes are dynamic)
    body = bytes(getattr(msg, "body"))  # noqa: B009
    reply_to: str | None = getattr(msg, "reply-to")
    handled = call.delivery.message if call.delivery is not None else None
    try:
        if handled is not None and handled.reply_to and subject == handled.reply_to:
            call.reply(handled, Message(subject, body))
        else:
            call.send(Message(subject, body, JSON, {}, reply_to))
    except OpError as e:
        return f"{e.kind}: {e.message}"
    return None


def _request(_store: object, subject: str, body: bytes, timeout_ms: int) -> Record | str:
    try:
        (reply, *_) = current().request(Message(subject, bytes(body)), timeout_ms / 1000, 1)
    except OpError as e:
        return f"{e.kind}: {e.message}"
    return _record(reply.topic, reply.data, None)


def link(linker: Linker) -> None:
    """Define the imports of `wasmcloud:messaging` (types, consumer)."""
    with linker.root() as root:
        with root.add_instance(_iface("types")):
            pass  # types only
        with root.add_instance(_iface("consumer")) as consumer:
            consumer.add_func("publish", _publish)
            consumer.add_func("request", _request)


def bind(store: wasmtime.Store, instance: Instance, where: str) -> Handle:
    """The guest's `handler.handle-message`: message -> None, or the error it returned."""
    fn = export_func(store, instance, _iface("handler"), "handle-message", where)

    def handle(message: Message) -> str | None:
        res = fn(store, _record(message.topic, message.data, message.reply_to))
        fn.post_return(store)
        return None if res is None else str(res)

    return handle
