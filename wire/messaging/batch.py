"""A handler's waiting deliveries in one guest call (`wire.batch/<op>`), for the guests of
wire's Python and TypeScript SDKs (built from a folder holding `wire_sdk/`) on pooled
runtimes.

One call per delivery costs a trip into the guest and back, and a hostcall for each
`ctx.send`; for a small handler that is most of its cost. The SDK's glue answers
`handle("wire.batch/<op>", [input, ...])` by running the handler on each input as a call
of its own would, keeping each input's sends as that call's outbox (published after the
batch, before each ack: what a call's sends are anyway), and stopping before the first
handler that asks the host for more than sends and logs. Here each entry becomes that
delivery's outcome, checked as a call's result is: its output against the function's type,
its sends against their channels and the runtime's grants.

Whatever cannot be told the same way runs one call per delivery, as before: the inputs the
guest stopped at, an input whose sends fail their checks (its own call raises in the
handler, where the handler may catch it), a batch too large for one call. A binding falls
back to one call per delivery for good when its guest does not speak batches (`no-handler`:
an SDK from before batches), when a batch fails as a whole (a trap, a deadline: the
batch's inputs then run one call each, each with its own deadline), or when its handler
asked for more than sends (it would every time). Fresh runtimes never batch: a fresh
instance per delivery is their promise; nor do traced hosts (a span per delivery), nor any
while another op than wire's own serves `send` (a test kit's stand-in must see each send).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from time import perf_counter
from typing import TYPE_CHECKING, Any

import orjson

from ..errors import OutputInvalid, WireError
from ..protocol import handle_error
from ..runtime import GuestRuntime
from ..telemetry import metrics, tracing
from .bindings import Binding
from .broker import Delivery
from .errors import InvalidPayload
from .message import ChannelSpec, Message
from .outcome import Failed, Handled, Outcome, Rejected, reason_of

if TYPE_CHECKING:
    from ..host import Function
    from .service import MessagingService

log = logging.getLogger("wire.messaging")

BATCH_PREFIX = "wire.batch/"  # `handle`'s op name for a batch of `<op>`
# Past this many bytes of input (the deliveries' JSON), the deliveries run one call each:
# a guest's memory limit is sized for one input, not for a batch of large ones.
MAX_BATCH_BYTES = 256 * 1024

Key = tuple[str, str]  # (function, channel)
OneCall = Callable[[Binding, Delivery], Outcome]  # a delivery in a call of its own


class GuestBatches:
    """Which bindings run their deliveries in batches, and how a batch is run."""

    def __init__(self, svc: MessagingService) -> None:
        self.svc = svc
        # wire's own `send` op: a test kit's stand-in (or any other) must see every send, so
        # while another one serves `send`, nothing batches.
        own = svc.host.hostcalls.get("send")
        self._own_send = own.fn if own is not None else None
        self._single: set[Key] = set()  # bindings that fell back for good
        self.batched = 0  # deliveries whose outcome came from a batch

    def eligible(self, key: Key) -> Function | None:
        """The function of binding `key` when its deliveries may go in a batch."""
        if key in self._single or tracing.active:  # traced: a span per delivery
            return None
        send = self.svc.host.hostcalls.get("send")
        if send is None or send.fn is not self._own_send or key not in self.svc.checked_once:
            return None  # (checked once: each message's JSON is the function's input)
        fn = self.svc.host.functions.get(key[0])
        if fn is None or not isinstance(fn.runtime, GuestRuntime) or not fn.runtime.sdk_glue:
            return None
        return fn if fn.runtime.spec.instances.policy == "pooled" else None

    def run(self, b: Binding, batch: list[Delivery], one_call: OneCall) -> list[Outcome] | None:
        """On a worker thread: the outcomes of `batch`, or None when it runs one call per
        delivery. A delivery that is not of its channel's type is `Rejected` here."""
        key = (b.function, b.channel)
        fn = self.eligible(key)
        if fn is None or sum(len(d.message.data) for d in batch) > MAX_BATCH_BYTES:
            return None
        ch = self.svc.channels[b.channel]
        outcomes: list[Outcome | None] = []
        valid: list[Delivery] = []
        for d in batch:
            try:
                self.svc.decode(ch, d.message)
            except InvalidPayload as e:
                outcomes.append(Rejected(reason_of(e)))
                continue
            outcomes.append(None)
            valid.append(d)
        done = iter(self._run(fn, b, valid) if valid else ())
        # None: the delivery runs in a call of its own (which never raises: see `_handle`)
        return [
            o if o is not None else (next(done) or one_call(b, d))
            for o, d in zip(outcomes, batch, strict=True)
        ]

    def _run(self, fn: Function, b: Binding, batch: list[Delivery]) -> list[Outcome | None]:
        """`batch`'s outcomes from one guest call; None for a delivery that needs a call of
        its own (all of them when the batch failed)."""
        key = (b.function, b.channel)
        inputs = b",".join(d.message.data for d in batch).decode()
        began = perf_counter()
        try:
            out = fn.runtime.call(BATCH_PREFIX + fn.op, f"[{inputs}]", function=fn.name)
            entries = orjson.loads(out)
            if not isinstance(entries, list) or len(entries) > len(batch):
                raise ValueError(f"a batch of {len(batch)} got {type(entries).__name__} back")
            if not all(isinstance(e, dict) and ("ok" in e) != ("err" in e) for e in entries):
                raise ValueError("not a batch's answer (a guest that ignores op names?)")
            each = (perf_counter() - began) / max(1, len(entries))
            outcomes = [self._outcome(fn, entry, each) for entry in entries]
        except Exception as e:  # a trap, `no-handler`, an answer that is not a batch's
            self._fall_back(key, f"its batch failed ({reason_of(e)})")
            return [None] * len(batch)
        batched = sum(o is not None for o in outcomes)
        self.batched += batched
        metrics.binding_stats(self.svc.host.name, b.channel, b.function).count_batched(batched)
        if len(entries) < len(batch):  # its handler asks the host for more than sends
            self._fall_back(key, "its handler calls the host (more than send and log)")
        return outcomes + [None] * (len(batch) - len(entries))

    def _outcome(self, fn: Function, entry: dict[str, Any], seconds: float) -> Outcome | None:
        """A delivery's outcome from its entry, as its own call would have ended; None when
        only its own call can tell (a send its checks refuse: that call raises it in the
        handler, which may catch it)."""
        if "err" in entry:
            runtime = fn.runtime
            assert isinstance(runtime, GuestRuntime)  # `eligible` saw to it
            error: WireError = handle_error("handler-err", str(entry["err"]), fn.op, runtime.where)
            fn.telemetry.record(seconds, error)
            return Failed(reason_of(error))
        try:
            self.svc.host.check_output(fn.name, entry["ok"])
        except OutputInvalid as e:
            fn.telemetry.record(seconds, e)
            return Failed(reason_of(e))
        try:
            outbox = [self._send(fn, *send) for send in entry.get("sends", ())]
        except Exception:
            return None
        fn.telemetry.record(seconds)
        return Handled(entry["ok"], outbox)

    def _send(
        self, fn: Function, channel: str, payload: Any, metadata: dict[str, str]
    ) -> tuple[ChannelSpec, Message]:
        """A send kept by the guest, checked as the `send` hostcall checks it."""
        self.svc.check_runtime_grant(self.svc.host.name, fn.runtime.spec.name, channel)
        return self.svc.outgoing(channel, payload, metadata)

    def falls_back(self, function: str, channel: str) -> bool:
        """Whether binding (`function`, `channel`) went back to one call per delivery."""
        return (function, channel) in self._single

    def _fall_back(self, key: Key, why: str) -> None:
        self._single.add(key)
        log.info("%s on %s: one call per message from now on: %s", key[0], key[1], why)
