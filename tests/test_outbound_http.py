"""The `http` hostcall op against a real local HTTP service (tests/web_service.py): the
`hostcaller` WAT guest forwards its input to the op named like its own op (`fetch` →
`http`), so each call is a guest's request. What its runtime is granted is reached (status,
headers, body, redirects within the grants); anything else is `permission_denied` before a
connection is made; timeouts and the guest's deadline bound the exchange; a body over the
cap is `payload_too_large`. tests/test_typed_calls_guests.py drives the SDK helpers of real
Python and TypeScript guests."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from web_service import WebService, web_service

from typegraph import Graph, Policy, WireRuntime, t, typegraph
from wire import Host, WireError, default_registry
from wire.outbound import Grant, OutboundHttp

ANY = t.struct({}, additional_properties=True).rename("Any")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


CLOSED = f"127.0.0.1:{_closed_port()}"  # granted, but nothing listens there


@pytest.fixture(scope="module")
def services() -> Iterator[tuple[WebService, WebService]]:
    with web_service() as granted, web_service() as other:
        yield granted, other


def fetch_document(
    guest: Path, grants: list[str] | None, *, deadline_ms: int = 10_000
) -> dict[str, Any]:
    @typegraph()
    def outbound(g: Graph) -> None:
        rt = WireRuntime(str(guest), name="fetcher", http=grants, deadline_ms=deadline_ms)
        g.expose(Policy.public(), fetch=rt.handler(ANY, ANY, name="http"))

    return outbound.document()


class Fetcher:
    def __init__(self, host: Host) -> None:
        self.host = host

    def __call__(self, method: str, url: str, **args: Any) -> Any:
        """The `http` op's result for the guest, or its error `{code, message}`."""
        try:
            result = self.host.call_sync("fetch", {"method": method, "url": url, **args})
        except WireError as e:
            if e.code != "handler_error":
                raise
            error: dict[str, Any] = orjson.loads(e.message[e.message.index("{") :])
            return error
        return result


@pytest.fixture(scope="module")
def fetch(wat: Callable[[str], Path], services: tuple[WebService, WebService]) -> Iterator[Fetcher]:
    granted, other = services
    grants = [granted.grant, f"https://127.0.0.1:{other.port}", "api.example.com", CLOSED]
    with Host(fetch_document(wat("hostcaller"), grants), Path("/")) as host:
        yield Fetcher(host)


def test_get_status_headers_body(fetch: Fetcher, services: tuple[WebService, WebService]) -> None:
    url = f"{services[0].url}/hello"
    res = fetch("GET", url)
    assert res["status"] == 200 and res["body"] == "hello" and res["url"] == url
    assert res["headers"]["x-service"] == "web"
    assert res["headers"]["content-type"] == "text/plain; charset=utf-8"


def test_method_headers_and_body_reach_the_service(
    fetch: Fetcher, services: tuple[WebService, WebService]
) -> None:
    res = fetch(
        "PUT",
        f"{services[0].url}/echo?x=1",
        headers={"content-type": "application/json", "x-token": "t0k"},
        body='{"n": "ünï"}',
    )
    echo = orjson.loads(res["body"])
    assert (echo["method"], echo["query"], echo["body"]) == ("PUT", {"x": "1"}, '{"n": "ünï"}')
    assert echo["headers"]["x-token"] == "t0k"
    assert echo["headers"]["content-type"] == "application/json"
    status = fetch("DELETE", f"{services[0].url}/status?code=204")
    assert (status["status"], status["body"]) == (204, "")
    head = fetch("HEAD", f"{services[0].url}/hello")
    assert (head["status"], head["body"], head["headers"]["content-length"]) == (200, "", "5")


def test_a_non_2xx_status_is_a_response_not_an_error(
    fetch: Fetcher, services: tuple[WebService, WebService]
) -> None:
    res = fetch("GET", f"{services[0].url}/nowhere")
    assert res["status"] == 404 and orjson.loads(res["body"]) == {"error": "no route /nowhere"}


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://localhost:{granted}/hello", "http://localhost:{granted} is not granted"),
        ("http://127.0.0.1:{other}/hello", "http://127.0.0.1:{other} is not granted"),
        ("http://127.0.0.1/hello", "http://127.0.0.1:80 is not granted"),
        ("http://api.example.com:8080/", "http://api.example.com:8080 is not granted"),
        ("ftp://127.0.0.1:{granted}/", "only http and https URLs can be granted"),
        ("http://127.0.0.1:{granted}@evil.example/", "http://evil.example:80 is not granted"),
    ],
)
def test_what_is_not_granted_is_refused(
    fetch: Fetcher, services: tuple[WebService, WebService], url: str, why: str
) -> None:
    ports = {"granted": services[0].port, "other": services[1].port}
    res = fetch("GET", url.format(**ports))
    assert res["code"] == "permission_denied", res
    assert why.format(**ports) in res["message"]
    assert "WireRuntime(..., http=[...])" in res["message"] or "only http" in res["message"]
    assert services[1].pets.seen == []  # nothing reached the other service


def test_a_grant_with_a_scheme_allows_only_that_scheme(
    fetch: Fetcher, services: tuple[WebService, WebService]
) -> None:
    res = fetch("GET", f"http://127.0.0.1:{services[1].port}/hello")  # granted https only
    assert res["code"] == "permission_denied"
    assert f"https://127.0.0.1:{services[1].port}" in res["message"]  # the grants are listed


def test_redirects_are_followed_within_the_grants_only(
    fetch: Fetcher, services: tuple[WebService, WebService]
) -> None:
    granted, other = services
    inside = fetch("GET", f"{granted.url}/redirect?to=/hello")
    assert (inside["status"], inside["body"], inside["url"]) == (
        200,
        "hello",
        f"{granted.url}/hello",
    )
    outside = fetch("GET", f"{granted.url}/redirect?to={other.url}/hello")
    assert outside["code"] == "permission_denied"
    assert f"http://127.0.0.1:{other.port} is not granted" in outside["message"]
    five = fetch("GET", f"{granted.url}/hops?n=4")  # five redirects: the limit
    assert (five["status"], five["body"], five["url"]) == (200, "hello", f"{granted.url}/hello")
    six = fetch("GET", f"{granted.url}/hops?n=5")
    assert six["code"] == "http_error" and "more than 5 redirects" in six["message"]


def test_a_slow_service_times_out(fetch: Fetcher, services: tuple[WebService, WebService]) -> None:
    began = time.monotonic()
    res = fetch("GET", f"{services[0].url}/sleep?s=5", timeout_ms=300)
    assert res["code"] == "timeout" and "within its timeout of 300 ms" in res["message"]
    assert time.monotonic() - began < 4  # the service still sleeps


def test_the_guests_deadline_caps_the_timeout(
    wat: Callable[[str], Path], services: tuple[WebService, WebService]
) -> None:
    doc = fetch_document(wat("hostcaller"), [services[0].grant], deadline_ms=500)
    with Host(doc, Path("/")) as host:
        began = time.monotonic()
        with pytest.raises(WireError) as stopped:  # a longer timeout_ms does not extend it
            host.call_sync("fetch", {"method": "GET", "url": f"{services[0].url}/sleep?s=5",
                                     "timeout_ms": 60_000})  # fmt: skip
        assert time.monotonic() - began < 4
        # the op gave up at the deadline; the guest, past it, was stopped when it resumed
        assert stopped.value.code in ("deadline_exceeded", "handler_error"), stopped.value
        if stopped.value.code == "handler_error":
            assert '"code":"timeout"' in stopped.value.message


def test_a_body_over_the_cap_is_refused(
    fetch: Fetcher, services: tuple[WebService, WebService]
) -> None:
    mib = 2**20
    assert len(fetch("GET", f"{services[0].url}/big?n={mib}")["body"]) == mib  # the cap itself
    declared = fetch("GET", f"{services[0].url}/big?n={mib + 1}")
    assert declared["code"] == "payload_too_large"
    assert "over the limit of 1048576 bytes (it declares 1048577 bytes)" in declared["message"]
    assert "WIRE_HTTP_MAX_RESPONSE_BYTES" in declared["message"]
    streamed = fetch("GET", f"{services[0].url}/big?n={3 * mib}&chunked=1")
    assert streamed["code"] == "payload_too_large" and "(it is longer)" in streamed["message"]


def test_the_cap_is_configurable(
    wat: Callable[[str], Path],
    services: tuple[WebService, WebService],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = fetch_document(wat("hostcaller"), [services[0].grant])
    small = default_registry(http=OutboundHttp(max_response_bytes=1000))
    with Host(doc, Path("/"), hostcalls=small) as host:
        fetch = Fetcher(host)
        assert len(fetch("GET", f"{services[0].url}/big?n=1000")["body"]) == 1000
        assert fetch("GET", f"{services[0].url}/big?n=1001")["code"] == "payload_too_large"
    monkeypatch.setenv("WIRE_HTTP_MAX_RESPONSE_BYTES", "10")
    assert OutboundHttp().max_response_bytes == 10
    monkeypatch.setenv("WIRE_HTTP_MAX_RESPONSE_BYTES", "lots")
    with pytest.raises(ValueError, match="must be a positive number of bytes"):
        OutboundHttp()


def test_the_http_grants_reach_the_model_and_the_document_schema() -> None:
    import typegraph
    from typegraph import model

    doc = fetch_document(Path("guest.wasm"), ["api.example.com", "https://[::1]:8443"])
    assert doc["runtimes"]["fetcher"]["grants"] == {
        "http": ["api.example.com", "https://[::1]:8443"]
    }
    assert model.read(doc).runtimes["fetcher"].http == {"api.example.com", "https://[::1]:8443"}
    doc["runtimes"]["fetcher"]["grants"]["http"] = ["http://h/x"]
    with pytest.raises(typegraph.TypegraphError, match="grants"):
        typegraph.validate_document(doc)


def test_a_registry_closes_the_ops_connections(
    services: tuple[WebService, WebService], wat: Callable[[str], Path]
) -> None:
    http = OutboundHttp()
    registry = default_registry(http=http)
    with Host(
        fetch_document(wat("hostcaller"), [services[0].grant]), Path("/"), hostcalls=registry
    ) as host:
        assert Fetcher(host)("GET", f"{services[0].url}/hello")["status"] == 200
    client = http.client
    assert not client.is_closed  # a registry given to a host is its owner's to close
    registry.close()
    assert client.is_closed
    assert not http.client.is_closed  # a later request gets a new client


def test_a_runtime_without_grants_reaches_nothing(
    wat: Callable[[str], Path], services: tuple[WebService, WebService]
) -> None:
    with Host(fetch_document(wat("hostcaller"), None), Path("/")) as host:
        res = Fetcher(host)("GET", f"{services[0].url}/hello")
        assert res["code"] == "permission_denied" and "(granted: none)" in res["message"]


def test_failures_and_bad_arguments(
    fetch: Fetcher, services: tuple[WebService, WebService]
) -> None:
    closed = fetch("GET", f"http://{CLOSED}/")
    assert closed["code"] == "http_error" and f"GET http://{CLOSED}/" in closed["message"]
    assert fetch("GET", "not a url")["code"] in ("invalid_args", "permission_denied")
    host = fetch("GET", f"{services[0].url}/hello", headers={"Host": "other"})
    assert host["code"] == "invalid_args" and "Host header" in host["message"]
    assert fetch("BREW", f"{services[0].url}/hello")["code"] == "invalid_args"


@pytest.mark.parametrize(
    ("text", "grant"),
    [
        ("api.example.com", Grant(None, "api.example.com", None)),
        ("API.Example.com:8443", Grant(None, "api.example.com", 8443)),
        ("https://api.example.com", Grant("https", "api.example.com", None)),
        ("http://[::1]:8080", Grant("http", "::1", 8080)),
    ],
)
def test_grants_parse(text: str, grant: Grant) -> None:
    assert Grant.parse(text) == grant


@pytest.mark.parametrize(
    "text", ["ftp://host", "host/path", "host:99999", "user@host", "", "https://", "a b"]
)
def test_bad_grants_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="http grant"):
        Grant.parse(text)


def test_grant_matching() -> None:
    bare, ported, secure = (Grant.parse(g) for g in ("a.io", "a.io:8080", "https://a.io"))
    assert bare.allows("https", "a.io", 443) and bare.allows("http", "a.io", 80)
    assert not bare.allows("http", "a.io", 8080) and not bare.allows("https", "b.a.io", 443)
    assert ported.allows("http", "a.io", 8080) and not ported.allows("http", "a.io", 80)
    assert secure.allows("https", "a.io", 443) and not secure.allows("http", "a.io", 80)
