"""Messaging: channels of a typegraph carried by a broker, and the guests bound to them.

broker = make_broker("nats://127.0.0.1:4222")      # or $WIRE_BROKER; default memory://
service = MessagingService(host, broker)           # registers the hostcall ops
await service.start()                              # handlers and responders run
await service.send("orders.placed", {...})         # typed: checked against the channel
async for msg in service.subscribe("orders.shipped"): ...
await service.stop()                               # drains the handlers in flight
"""

from .broker import Broker, Capabilities, Delivery, Subscription
from .connect import ENV, broker_url, make_broker
from .errors import (
    ChannelFull,
    InvalidPayload,
    MessagingError,
    MissingClient,
    NotCallable,
    PayloadTooLarge,
    PermissionDenied,
    ReplyTimeout,
)
from .message import ChannelSpec, Message
from .service import Binding, MessagingService
from .stream import Received, Stream

__all__ = [
    "ENV",
    "Binding",
    "Broker",
    "Capabilities",
    "ChannelFull",
    "ChannelSpec",
    "Delivery",
    "InvalidPayload",
    "Message",
    "MessagingError",
    "MessagingService",
    "MissingClient",
    "NotCallable",
    "PayloadTooLarge",
    "PermissionDenied",
    "Received",
    "ReplyTimeout",
    "Stream",
    "Subscription",
    "broker_url",
    "make_broker",
]
