"""The errors of messaging: each a `WireError` with a stable code (docs/errors.md)."""

from __future__ import annotations

from ..errors import WireError


class MessagingError(WireError):
    """The broker could not do it (not connected, refused, gone for longer than allowed)."""

    code = "messaging_error"


class BrokerUnreachable(WireError):
    """The broker did not answer (connect, subscribe the handlers) within the broker timeout
    (`WIRE_BROKER_TIMEOUT_S`) at start."""

    code = "broker_unreachable"


class PermissionDenied(WireError):
    """A guest used a channel its runtime is not granted."""

    code = "permission_denied"


class InvalidPayload(WireError):
    """A message is not JSON, or does not match its channel's type."""

    code = "invalid_payload"


class ReplyTimeout(WireError):
    """A request got no reply in time (as a guest's HTTP request that gets no answer, its
    code is `timeout`)."""

    code = "timeout"


class MissingClient(MessagingError):
    """The broker's client library is not installed; the message names the extra of wire
    that installs it."""

    code = "missing_dependency"


class PayloadTooLarge(MessagingError):
    """A message exceeds what the backend carries (refused at send, before it travels)."""

    code = "payload_too_large"


class ChannelFull(MessagingError):
    """A durable channel reached the bound set on it: the send is refused, nothing is
    trimmed."""

    code = "channel_full"


class NotCallable(WireError):
    """A messaging component was called as a function: its handler runs on the messages of
    the channels it is bound to, nothing else."""

    code = "not_callable"
