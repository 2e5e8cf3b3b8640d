"""The testing kit itself (`wire.testing`): the README's example runs as a test file of its
own through the plugin pytest finds when wire is installed, and through
`pytest_plugins = ["wire.testing"]`; an op wire does not know is faked; waiting says what
it waited for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import make_document
from doc_text import blocks, section

from wire import Host
from wire.testing import TestApp

REPO = Path(__file__).resolve().parent.parent
ORDERS = REPO / "examples" / "orders" / "typegraph.py"


def readme_test() -> str:
    """The test of the README's *Test a typegraph*."""
    (block,) = blocks(section("Test a typegraph"), "python")
    return block


def run_pytest(test_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, str(test_file)],
        cwd=REPO,  # the example's path is the repository's
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_readmes_example_passes_with_the_installed_plugin(tmp_path: Path) -> None:
    test_file = tmp_path / "test_readme_ship.py"
    test_file.write_text(readme_test())
    out = run_pytest(test_file, "--rootdir", str(tmp_path))
    assert "1 passed" in out.stdout, out.stdout + out.stderr


def test_pytest_plugins_names_the_kit_without_the_entry_point(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["wire.testing"]\n')
    test_file = tmp_path / "test_named_plugin.py"
    test_file.write_text(readme_test())
    out = run_pytest(test_file, "--rootdir", str(tmp_path), "-p", "no:wire")
    assert "1 passed" in out.stdout, out.stdout + out.stderr
    without = tmp_path / "lone"
    without.mkdir()
    (without / "test_lone.py").write_text(readme_test())
    out = run_pytest(without / "test_lone.py", "--rootdir", str(without), "-p", "no:wire")
    assert "fixture 'wire_app' not found" in out.stdout  # the plugin was really off


@pytest.mark.asyncio
async def test_an_op_wire_does_not_know_is_faked(wat: Any) -> None:
    # (`http` was such an op until wire had its own: an op wire knows keeps its schemas)
    doc = make_document(wat("hostcaller"), {"locate": {"op": "geocode", "input": {}}}, name="kit")
    seen: list[Any] = []

    def fake_geocode(ctx: Any, args: Any) -> dict[str, Any]:
        seen.append((ctx.function, args))
        return {"lat": 48.85, "lon": 2.35}

    async with TestApp(Host(doc, REPO), ops={"geocode": fake_geocode}) as app:
        assert await app.call("locate") == {"lat": 48.85, "lon": 2.35}
    assert seen == [("locate", {})]


@pytest.mark.asyncio
async def test_waiting_says_what_it_waited_for(wire_app: Any) -> None:
    app: TestApp = await wire_app(ORDERS)
    with pytest.raises(TimeoutError, match=r"waited 0\.2 s for ship to settle"):
        await app.outcome("ship", timeout=0.2)
    shipped = await app.publish("orders.shipped", {"id": 1, "parcels": 1})
    with pytest.raises(ValueError, match=r"'orders\.shipped' has 0 handlers"):
        await shipped.outcome()
    with pytest.raises(TimeoutError, match=r"waited 0\.2 s for 1 message"):
        await app.wait_sent("orders.placed", timeout=0.2)
