"""Real Python and TypeScript guests (tests/guests/ops_py, ops_ts; their SDKs written by
`wire codegen` and built here) call their typegraph's functions through the typed stubs
(`ctx.fn`), and HTTP services through their SDK's helper (`ctx.http` / `ctx.fetch`), against
a real local service (tests/web_service.py). The host's side of both ops is covered in
depth by tests/test_typed_calls.py and tests/test_outbound_http.py."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ops_typegraph import ops_document
from web_service import WebService, web_service

import wire_codegen
from wire import Host
from wire.build import build_guest
from wire.graphql import AuthContext, Gateway

GUESTS = Path(__file__).resolve().parent / "guests"
LANGUAGES = {"py": ("python", "app.py"), "ts": ("typescript", "app.ts")}


@pytest.fixture(scope="module")
def guests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding `ops_py` and `ops_ts`, each its app and the SDK codegen writes,
    built (the build is cached by content: the same files every run)."""
    root = tmp_path_factory.mktemp("guests")
    for lang, (language, app) in LANGUAGES.items():
        folder = root / f"ops_{lang}"
        folder.mkdir()
        shutil.copy(GUESTS / f"ops_{lang}" / app, folder / app)
        wire_codegen.generate(language, ops_document(f"ops_{lang}", folder.name, []), None, folder)
        build_guest(folder)
    return root


@pytest.fixture(scope="module")
def service() -> Iterator[WebService]:
    with web_service() as s:
        yield s


@pytest.fixture(scope="module", params=sorted(LANGUAGES))
def host(request: pytest.FixtureRequest, guests: Path, service: WebService) -> Iterator[Host]:
    name = f"ops_{request.param}"
    with Host(ops_document(name, name, [service.grant]), guests) as h:
        Gateway(h)  # serves the guests' `call` op (and `gql`)
        yield h


def attempt(host: Host, function: str, args: Any, auth: AuthContext | None = None) -> Any:
    extra = {} if auth is None else {"auth": auth}
    return host.call_sync("attempt", {"function": function, "args": args}, extra=extra)


def fetch(host: Host, method: str, url: str, **request: Any) -> Any:
    return host.call_sync("fetch", {"method": method, "url": url, **request})


# -- typed calls --------------------------------------------------------------------------


def test_typed_stubs_call_functions_exposed_or_not(host: Host) -> None:
    assert host.call_sync("typed", {"a": 3, "b": 4}) == (3 + 4) + 3 * 4


def test_a_call_returns_the_functions_result(host: Host) -> None:
    assert attempt(host, "add", {"a": 1, "b": 2}) == {"result": 3}
    assert host.call_sync("recurse", {"depth": 3}) == 3  # four guests deep


def test_policies_apply_to_calls(host: Host) -> None:
    denied = attempt(host, "forbidden", {})
    assert denied["code"] == "policy_denied" and denied["details"] == {"policy": "deny"}
    assert "access to 'forbidden' denied by policy 'deny'" in denied["message"]
    # internal functions answer a guest's call
    assert attempt(host, "secret", {}) == {"result": "the eagle has landed"}
    # a custom policy decides with the caller's context
    admin = AuthContext(provider="basic", user="admin")
    assert attempt(host, "stats", {}, admin) == {"result": 42}
    bob = attempt(host, "stats", {}, AuthContext(provider="basic", user="bob"))
    assert bob["code"] == "policy_denied" and "policy 'is_admin'" in bob["message"]


def test_bad_arguments_and_results_are_errors_with_their_codes(host: Host) -> None:
    bad_input = attempt(host, "add", {"a": "one", "b": 2})
    assert bad_input["code"] == "invalid_input"
    assert bad_input["details"] == [{"path": "a", "message": '"one" is not of type "integer"'}]
    bad_output = attempt(host, "bad_output", {})
    assert bad_output["code"] == "invalid_output"
    assert '"not a number" is not of type "integer"' in bad_output["message"]


def test_an_unknown_function(host: Host) -> None:
    unknown = attempt(host, "nope", {})  # no stub: the SDK's untyped `call`
    assert unknown["code"] == "unknown_function"
    assert f"no function 'nope' in typegraph '{host.name}'" in unknown["message"]


# -- HTTP ---------------------------------------------------------------------------------


def test_http_get(host: Host, service: WebService) -> None:
    got = fetch(host, "GET", f"{service.url}/hello")["result"]
    assert (got["status"], got["ok"], got["body"]) == (200, True, "hello")
    assert got["headers"]["x-service"] == "web" and got["url"] == f"{service.url}/hello"


def test_http_json_body_and_headers(host: Host, service: WebService) -> None:
    sent = {"name": "ünï", "n": [1, 2]}
    got = fetch(host, "POST", f"{service.url}/echo", json=sent, headers={"x-token": "t0k"})
    echo = got["result"]["json"]
    assert echo["method"] == "POST" and echo["headers"]["x-token"] == "t0k"
    assert echo["headers"]["content-type"] == "application/json"
    assert echo["body"] == '{"name":"ünï","n":[1,2]}'
    plain = fetch(host, "PUT", f"{service.url}/echo", body="raw text")["result"]["json"]
    assert (plain["method"], plain["body"]) == ("PUT", "raw text")
    missing = fetch(host, "GET", f"{service.url}/nowhere")["result"]
    assert (missing["status"], missing["ok"]) == (404, False)  # a response, not an error


def test_http_refusals(host: Host, service: WebService) -> None:
    other = fetch(host, "GET", f"http://localhost:{service.port}/hello")
    assert other["code"] == "permission_denied"
    assert f"http://localhost:{service.port} is not granted" in other["message"]
    redirected = fetch(host, "GET", f"{service.url}/redirect?to=http://example.com/")
    assert redirected["code"] == "permission_denied"
    slow = fetch(host, "GET", f"{service.url}/sleep?s=5", timeout_ms=300)
    assert slow["code"] == "timeout"
    big = fetch(host, "GET", f"{service.url}/big?n={2 * 2**20}")
    assert big["code"] == "payload_too_large"
