"""A handler of the first wasi:messaging@0.2.0-draft (world `messaging`: `configure`, then
`handler` with batches) for the tests.

`configure` returns `channels.CONFIGURED` (the tests write `channels.py` next to this file).
Each message is a JSON command `{action, n, target?, report?, source?, channel?}`:
- forward: send `{n, topic, batch, format, metadata}` on `target` (`batch`: how many
  messages the handler got at once); with `settle: "complete"` complete it first;
- abandon: abandon it (the host retries it, then dead-letters it);
- receive: take a message of `source` (subscribe-try-receive, 5 s), send its JSON on
  `target` and `settle` it ("complete" or "abandon"); none: send `{received: null}`;
- subscribe: update-guest-configuration with `[channel]`;
- try: send on `target`, report `{n, error}` on `report` (`error`: `Error.trace()` or null);
- fail: return an error (the one a send on an unknown channel gives); trap: raise.
"""

import json

from channels import CONFIGURED
from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import consumer, messaging_types, producer
from wit_world.imports.messaging_types import Client, GuestConfiguration, Message

RAW = messaging_types.FormatSpec.RAW


def _send(channel: str, body: object) -> None:
    message = Message(json.dumps(body).encode(), RAW, [("sender", "wasi-consumer")])
    producer.send(Client.connect("default"), channel, [message])


class MessagingGuest(exports.MessagingGuest):
    def configure(self) -> GuestConfiguration:
        return GuestConfiguration(list(CONFIGURED), None)

    def handler(self, ms: list[Message]) -> None:
        for m in ms:
            self._one(m, len(ms))

    def _one(self, m: Message, batch: int) -> None:
        cmd = json.loads(m.data)
        action, n = cmd["action"], cmd["n"]
        meta = dict(m.metadata or [])
        if action == "forward":
            if cmd.get("settle") == "complete":
                consumer.complete_message(m)
            body = {
                "n": n,
                "topic": meta.get("wire-topic"),
                "batch": batch,
                "format": m.format.name.lower(),
                "metadata": {k: v for k, v in meta.items() if k != "wire-message-id"},
            }
            _send(cmd["target"], body)
        elif action == "abandon":
            consumer.abandon_message(m)
        elif action == "receive":
            got = consumer.subscribe_try_receive(Client.connect("default"), cmd["source"], 5000)
            if not got:
                _send(cmd["target"], {"n": n, "received": None})
            for r in got or []:
                _send(cmd["target"], {"n": n, "received": json.loads(r.data)})
                if cmd["settle"] == "complete":
                    consumer.complete_message(r)
                else:
                    consumer.abandon_message(r)
        elif action == "subscribe":
            consumer.update_guest_configuration(GuestConfiguration([cmd["channel"]], None))
        elif action == "try":
            try:
                _send(cmd["target"], {"n": n})
                _send(cmd["report"], {"n": n, "error": None})
            except Err:
                _send(cmd["report"], {"n": n, "error": messaging_types.Error.trace()})
        elif action == "fail":
            try:
                _send("not.a.channel", {"n": n})
            except Err as e:
                raise Err(e.value) from None
        elif action == "trap":
            raise RuntimeError(f"command {n} trapped on purpose")
