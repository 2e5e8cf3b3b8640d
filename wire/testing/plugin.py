"""The pytest plugin of the testing kit: the `wire_app` fixture (registered through the
`pytest11` entry point when wire is installed; else `pytest_plugins = ["wire.testing"]`).

    @pytest.mark.asyncio
    async def test_ship(wire_app):
        app = await wire_app("examples/orders/typegraph.py")
        ...

It needs pytest-asyncio (`pip install 'wire[testing]'`): the typegraph's channels run on
the test's event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .app import TestApp

Load = Callable[..., Awaitable["TestApp"]]

try:
    import pytest_asyncio
except ImportError:  # the fixture says what is missing when a test uses it
    pytest_asyncio = None  # type: ignore[assignment]


async def _apps() -> AsyncIterator[Load]:
    """`await wire_app(path, **kw)`: a started `wire.testing.TestApp` of the typegraph at
    `path` (or of a `Host`), closed after the test."""
    from .app import TestApp

    apps: list[TestApp] = []

    async def load(typegraph: str | Path, **kw: Any) -> TestApp:
        """Start `typegraph` (a file, or a Host) as a `TestApp` (closed after the test)."""
        app = TestApp(typegraph, **kw)
        await app.start()
        apps.append(app)
        return app

    try:
        yield load
    finally:
        for app in reversed(apps):
            await app.close()


if pytest_asyncio is not None:
    wire_app = pytest_asyncio.fixture(_apps, name="wire_app")
else:

    @pytest.fixture(name="wire_app")
    def wire_app() -> None:
        pytest.fail("the wire_app fixture needs pytest-asyncio: pip install 'wire[testing]'")
