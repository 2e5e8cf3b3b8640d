"""GraphiQL in headless Chromium (Debian's `chromium`), driven over the DevTools protocol:
the page loads from the server alone (no CDN), runs a query, and shows the result.

Skipped when Chromium is missing, except under CI (CI=true), where it fails: .ci/run
installs it.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from serving import GATEWAY, MATH, REPO, serve
from websockets.sync.client import ClientConnection, connect

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[str]:
    """A headless Chromium; yields its DevTools HTTP base URL."""
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (apt-get install chromium): CI must run this")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    proc = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--remote-debugging-port=0",
            "--window-size=1280,800",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 30
        for line in proc.stderr:
            found = re.search(r"DevTools listening on ws://([^/]+)/", line)
            if found:
                yield f"http://{found.group(1)}"
                break
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not start its DevTools endpoint")
        else:
            raise RuntimeError(f"chromium exited {proc.wait()}")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


class Page:
    """Just enough of the DevTools protocol: commands on one page target."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.ws.recv(timeout=30))
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply["result"]
                return result

    def eval(self, expression: str) -> Any:
        out = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return out["result"].get("value")

    def wait_for(self, expression: str, what: str, timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.eval(expression)
            if value:
                return value
            time.sleep(0.1)
        text = self.eval("document.body.innerText")
        raise AssertionError(f"timed out waiting for {what}; page text: {text!r}")


def test_graphiql_runs_a_query(chromium: str, tmp_path: Path) -> None:
    with serve(MATH) as server:
        targets = httpx.get(f"{chromium}/json/list").json()
        page_ws = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        with connect(page_ws, max_size=2**26) as ws:
            page = Page(ws)
            query = urllib.parse.quote("{ add(a: 11, b: 2) }")
            page.send("Page.enable")
            page.send("Page.navigate", url=f"{server.url}/math?query={query}")
            page.wait_for("!!document.querySelector('.graphiql-execute-button')", "GraphiQL")
            page.eval("document.querySelector('.graphiql-execute-button').click()")
            result = page.wait_for(
                "(() => { const cm = document.querySelector('.result-window .CodeMirror');"
                " const text = cm && cm.CodeMirror.getValue();"
                " return text && text.includes('add') ? text : null; })()",
                "the query's result",
            )
            shot = page.send("Page.captureScreenshot", format="png")
            (tmp_path / "graphiql.png").write_bytes(base64.b64decode(shot["data"]))
    assert json.loads(result) == {"data": {"add": 13}}


def test_graphiql_subscribes_over_a_websocket(chromium: str) -> None:
    """The `make run` flow in a browser: GraphiQL subscribes to the orders example's
    `shipped`, a mutation publishes an order, the guest handler ships it, GraphiQL shows it."""
    with serve(REPO / "examples" / "orders" / "typegraph.py") as server:
        targets = httpx.get(f"{chromium}/json/list").json()
        page_ws = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        with connect(page_ws, max_size=2**26) as ws:
            page = Page(ws)
            query = urllib.parse.quote("subscription { shipped { id parcels } }")
            page.send("Page.enable")
            page.send("Page.navigate", url=f"{server.url}/orders?query={query}")
            page.wait_for("!!document.querySelector('.graphiql-execute-button')", "GraphiQL")
            page.eval("document.querySelector('.graphiql-execute-button').click()")
            deadline = time.monotonic() + 30
            while (
                server.client.get(f"{server.url}/health").json()["typegraphs"]["orders"][
                    "subscriptions"
                ]
                != 1
            ):
                assert time.monotonic() < deadline, "GraphiQL did not subscribe"
                time.sleep(0.1)
            body = server.gql('mutation { place(id: 9, item: "book", qty: 4) }', path="orders")
            assert body["data"] == {"place": True}
            result = page.wait_for(
                "(() => { const cm = document.querySelector('.result-window .CodeMirror');"
                " const text = cm && cm.CodeMirror.getValue();"
                " return text && text.includes('shipped') ? text : null; })()",
                "the subscription's message",
            )
    assert json.loads(result) == {"data": {"shipped": {"id": 9, "parcels": 2}}}


def test_each_typegraph_keeps_its_own_graphiql_tabs(chromium: str) -> None:
    """GraphiQL keeps its tabs in localStorage, shared by the whole origin: a tab opened on
    /math must not show up on /gateway (where its query fails), and must be there again on
    /math."""
    math_query = "{ add(a: 20, b: 22) }"
    with serve(GATEWAY, MATH) as server:
        targets = httpx.get(f"{chromium}/json/list").json()
        page_ws = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        with connect(page_ws, max_size=2**26) as ws:
            page = Page(ws)
            page.send("Page.enable")

            def open_graphiql(path: str) -> None:
                page.send("Page.navigate", url=f"{server.url}/{path}")
                page.wait_for("!!document.querySelector('.graphiql-tab-add')", "GraphiQL")

            editor = "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"
            tabs = "document.querySelectorAll('.graphiql-tab').length"
            open_graphiql("math")
            page.eval("document.querySelector('.graphiql-tab-add').click()")
            page.wait_for(f"{tabs} === 2", "a second tab on /math")
            page.eval(f"{editor}.setValue({json.dumps(math_query)})")
            page.wait_for(  # GraphiQL saves its tabs half a second after an edit
                "Object.entries(localStorage).some(([k, v]) => k.endsWith('tabState')"
                f" && v.includes({json.dumps(math_query)}))",
                "the tabs of /math saved",
            )
            open_graphiql("gateway")
            on_gateway = (page.eval(tabs), page.eval(f"{editor}.getValue()"))
            open_graphiql("math")
            page.wait_for(f"{tabs} === 2", "the tabs of /math back")
            page.eval(
                "document.querySelectorAll('.graphiql-tab')[1].querySelector('button').click()"
            )
            on_math = page.wait_for(
                f"{editor}.getValue().includes('add(') && {editor}.getValue()", "the second tab"
            )
    assert on_gateway[0] == 0, "the tab opened on /math shows up on /gateway"  # 1 tab: no bar
    assert "add(" not in on_gateway[1]
    assert on_math == math_query


def test_the_favicon_is_served_and_cached() -> None:
    with serve(MATH) as server:
        icon = server.client.get(f"{server.url}/favicon.ico")
        page = server.client.get(f"{server.url}/math", headers={"accept": "text/html"})
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/svg+xml"
    assert "max-age=604800" in icon.headers["cache-control"]
    assert icon.content.startswith(b"<svg") and b"</svg>" in icon.content
    assert '<link rel="icon" href="/favicon.ico"' in page.text
