"""Policies and auth over real HTTP: public, deny, internal, a custom policy (a guest op),
per-effect chains; JWT (HS256 and RS256) and basic auth; denied calls run nothing."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from serving import GATEWAY, Server, serve

from wire import Host
from wire.graphql import Gateway

SECRET = "a-test-secret-that-is-long-enough-for-hs256-and-for-hs512-as-well-0123"
ADMIN_PASSWORD = "s3cret pass"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = (
    RSA_KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    key_file = tmp_path_factory.mktemp("keys") / "public.pem"
    key_file.write_text(PUBLIC_PEM)
    env = {
        "WIRE_JWT_SECRET": SECRET,
        "WIRE_GATEWAY_BASIC_ADMIN": ADMIN_PASSWORD,
        "WIRE_JWT_AUDIENCE": "wire-tests",
    }
    with serve(GATEWAY, "--jwt-public-key", key_file, env=env) as s:
        yield s


def hs256(**claims: Any) -> str:
    return jwt.encode({"aud": "wire-tests", **claims}, SECRET, algorithm="HS256")


def rs256(**claims: Any) -> str:
    return jwt.encode({"aud": "wire-tests", **claims}, RSA_KEY, algorithm="RS256")


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def basic(user: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"authorization": f"Basic {raw}"}


def code_of(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


# -- the chain ------------------------------------------------------------------------


def test_public(server: Server) -> None:
    assert server.gql("{ add(a: 1, b: 2) }")["data"] == {"add": 3}


def test_deny_runs_nothing(server: Server) -> None:
    # `forbidden` raises if it ever runs: a handler_error here would mean it did
    body = server.gql("{ forbidden }", headers=basic("admin", ADMIN_PASSWORD))
    assert code_of(body) == "policy_denied"
    assert "denied by policy 'deny'" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["details"] == {"policy": "deny"}


def test_internal_only_through_gql(server: Server) -> None:
    body = server.gql("{ secret }")
    assert code_of(body) == "policy_denied"
    assert "internal" in body["errors"][0]["message"]
    assert server.gql("{ reveal }")["data"] == {"reveal": "revealed: the eagle has landed"}


def test_custom_policy_pass_deny_allow(server: Server) -> None:
    anonymous = server.gql("{ stats }")  # is_admin passes; nothing else allows
    assert code_of(anonymous) == "policy_denied"
    assert "every policy in its chain passed" in anonymous["errors"][0]["message"]
    user = server.gql("{ stats }", headers=bearer(hs256(sub="bob", role="user")))
    assert code_of(user) == "policy_denied"
    assert "denied by policy 'is_admin'" in user["errors"][0]["message"]
    assert server.gql("{ stats }", headers=basic("admin", ADMIN_PASSWORD))["data"] == {"stats": 42}
    admin = bearer(hs256(sub="ann", role="admin"))
    assert server.gql("{ stats }", headers=admin)["data"] == {"stats": 42}


def test_policies_per_effect(server: Server) -> None:
    # save_note: Policy.on(read=public, create=is_admin); its effect is create
    save = 'mutation { save_note(text: "hi") }'
    assert code_of(server.gql(save)) == "policy_denied"
    admin = basic("admin", ADMIN_PASSWORD)
    assert server.gql(save, headers=admin)["data"] == {"save_note": "saved: hi"}
    # drop_note: [Policy.on(delete=deny), public]: the delete entry decides first
    assert code_of(server.gql("mutation { drop_note(id: 1) }", headers=admin)) == "policy_denied"


def test_gql_carries_the_callers_context(server: Server) -> None:
    assert code_of(server.gql("{ relay_stats }")) == "handler_error"  # inner denial
    assert "policy_denied" in server.gql("{ relay_stats }")["errors"][0]["message"]
    admin = basic("admin", ADMIN_PASSWORD)
    assert server.gql("{ relay_stats }", headers=admin)["data"] == {"relay_stats": 42}


def test_a_denial_is_an_error_of_its_own_field(server: Server) -> None:
    body = server.gql("{ add(a: 1, b: 1) stats }")
    assert [e["path"] for e in body["errors"]] == [["stats"]]
    assert code_of(body) == "policy_denied"
    assert body["data"] is None  # both fields are non-null: the error nulls the data


# -- auth -----------------------------------------------------------------------------


def test_rs256_tokens(server: Server) -> None:
    ok = server.gql("{ stats }", headers=bearer(rs256(sub="ann", role="admin")))
    assert ok["data"] == {"stats": 42}


@pytest.mark.parametrize(
    "headers",
    [
        bearer(hs256(sub="x", exp=int(time.time()) - 60)),  # expired
        bearer(
            jwt.encode({"aud": "wire-tests"}, "another-secret-long-enough-to-sign-with", "HS256")
        ),
        bearer(jwt.encode({"sub": "x"}, SECRET, algorithm="HS256")),  # no audience
        bearer(jwt.encode({"aud": "wire-tests", "role": "admin"}, None, algorithm="none")),
        bearer(jwt.encode({"aud": "wire-tests"}, SECRET, algorithm="HS512")),  # no HS512 key
        bearer("not.a.token"),
        basic("admin", "wrong"),
        basic("mallory", ADMIN_PASSWORD),
        {"authorization": "Basic !!!"},
        {"authorization": "Digest whatever"},
    ],
)
def test_bad_credentials_are_401(server: Server, headers: dict[str, str]) -> None:
    body = server.gql("{ add(a: 1, b: 1) }", headers=headers)
    assert body["_status"] == 401
    assert code_of(body) == "unauthenticated"
    assert "data" not in body


# -- custom policy answers that are not decisions ---------------------------------------


def test_custom_policy_with_a_bad_answer_fails_closed(wat: Any) -> None:
    from conftest import make_document

    # the echo guest answers with its input, which is no decision
    doc = make_document(wat("echo"), {"f": {"input": {"a": {"kind": "integer"}}}})
    doc["materializers"]["judge"] = {"runtime": "rt", "op": "judge", "title": "judge", "data": {}}
    doc["policies"]["judge"] = {"kind": "custom", "materializer": "judge"}
    doc["functions"]["f"]["policies"] = ["judge", "public"]
    with Host(doc, Path(".")) as host:
        gw = Gateway(host)
        body = gw.execute_sync("{ f(a: 1) }")
    assert code_of(body) == "policy_failed"
    assert "expected" in body["errors"][0]["message"]
