"""A testing kit for typegraph authors: load a typegraph on an embedded broker of its own,
call its functions, publish to its channels, await the handlers' outcomes, read what the
guests sent, replied, logged and dead-lettered, replace hostcall ops, run GraphQL in
process.

    from wire.testing import TestApp

    async with TestApp("typegraph.py") as app:
        published = await app.publish("orders.placed", {"id": 1, "item": "book", "qty": 4})
        assert (await published.outcome()).result is True
        assert app.sent_on("orders.shipped") == [{"id": 1, "parcels": 2}]

With pytest (and pytest-asyncio), the `wire_app` fixture loads typegraphs and closes them
after the test: its plugin is registered when wire is installed (or name it in
`pytest_plugins = ["wire.testing"]`).
"""

import contextlib

from .app import DeadLetter, Logged, Published, Reply, Sent, Settled, TestApp

with contextlib.suppress(ImportError):  # without pytest, TestApp works all the same
    from .plugin import wire_app  # the fixture, for `pytest_plugins = ["wire.testing"]`

__all__ = [
    "DeadLetter",
    "Logged",
    "Published",
    "Reply",
    "Sent",
    "Settled",
    "TestApp",
    "wire_app",
]
