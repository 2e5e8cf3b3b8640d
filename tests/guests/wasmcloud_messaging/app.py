"""A wasmcloud:messaging@0.2.0 handler (world handler-component) for the tests.

Each message is a JSON command `{action, n, target?, report?}`:
- forward: publish `{n, subject, reply_to}` on `target`;
- ask: request `{q: n}` on `target`, then publish the reply's JSON on `report`;
- reply: publish `{answer: n}` on this message's reply-to subject;
- try: publish on `target` and report the error it gets as `{error}` on `report`;
- fail: return an error.
"""

import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import consumer
from wit_world.imports.types import BrokerMessage


def _publish(subject: str, body: object) -> None:
    consumer.publish(BrokerMessage(subject, json.dumps(body).encode(), None))


class Handler(exports.Handler):
    def handle_message(self, msg: BrokerMessage) -> None:
        cmd = json.loads(msg.body)
        action, n = cmd["action"], cmd["n"]
        if action == "forward":
            _publish(cmd["target"], {"n": n, "subject": msg.subject, "reply_to": msg.reply_to})
        elif action == "ask":
            reply = consumer.request(cmd["target"], json.dumps({"q": str(n)}).encode(), 5000)
            _publish(cmd["report"], {"n": n, "reply": json.loads(reply.body)})
        elif action == "reply":
            assert msg.reply_to is not None
            _publish(msg.reply_to, {"answer": n})
        elif action == "try":
            try:
                _publish(cmd["target"], {"n": n})
                _publish(cmd["report"], {"n": n, "error": None})
            except Err as e:
                _publish(cmd["report"], {"n": n, "error": str(e.value)})
        elif action == "fail":
            raise Err(f"command {n} failed on purpose")
