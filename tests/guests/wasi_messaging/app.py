"""A wasi:messaging@0.2.0-draft handler (world messaging-request-reply) for the tests.

Each message is a JSON command `{action, n, target?, report?}`:
- forward: send `{n, topic, content_type, metadata}` on `target`;
- ask: request `{q: n}` on `target`, then send the reply's JSON on `report`;
- reply: reply `{answer: n}` to this message (it is a request);
- try: send on `target` and report the error it gets as `{error, detail}` on `report`;
- fail: return an error; trap: raise (the component traps).
"""

import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import producer, request_reply, types


def _send(client: types.Client, topic: str, body: object) -> None:
    msg = types.Message(json.dumps(body).encode())
    msg.set_content_type("application/json")
    producer.send(client, topic, msg)


def _describe(e: Err) -> dict[str, str]:  # type: ignore[type-arg]
    v = e.value
    return {"error": type(v).__name__, "detail": str(getattr(v, "value", ""))}


class IncomingHandler(exports.IncomingHandler):
    def handle(self, message: types.Message) -> None:
        cmd = json.loads(message.data())
        action, n = cmd["action"], cmd["n"]
        client = types.Client.connect("default")
        if action == "forward":
            meta = dict(message.metadata() or [])
            body = {
                "n": n,
                "topic": message.topic(),
                "content_type": message.content_type(),
                "metadata": meta,
            }
            _send(client, cmd["target"], body)
        elif action == "ask":
            opts = request_reply.RequestOptions()
            opts.set_timeout_ms(5000)
            opts.set_expected_replies(1)
            req = types.Message(json.dumps({"q": str(n)}).encode())
            replies = request_reply.request(client, cmd["target"], req, opts)
            _send(
                client, cmd["report"], {"n": n, "replies": [json.loads(r.data()) for r in replies]}
            )
        elif action == "reply":
            request_reply.reply(message, types.Message(json.dumps({"answer": n}).encode()))
        elif action == "try":
            try:
                _send(client, cmd["target"], {"n": n})
                _send(client, cmd["report"], {"n": n, "error": None})
            except Err as e:
                _send(client, cmd["report"], {"n": n, **_describe(e)})
        elif action == "fail":
            raise Err(types.Error_Other(f"command {n} failed on purpose"))
        elif action == "trap":
            raise RuntimeError(f"command {n} trapped on purpose")
        client.disconnect()
