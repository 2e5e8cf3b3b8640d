"""The `call` hostcall op, driven by real WAT guests: the `hostcaller` guest forwards its input
to the op named like its own op (`via_call` → `call`), so each test is a guest calling a
function of its typegraph by name. The callees are the `echo` guest (its result is its
input), a custom policy answered by a hostcall op the test registers, and the `loop` guest
(it spins until its deadline stops it).

Policies (public, deny, internal, custom; unexposed functions), input and output checks
with their codes and details, unknown functions, the recursion limit and the deadlines a
call shares (its caller's, the request's) are checked here; tests/test_typed_calls_guests.py
runs the generated typed stubs of real Python and TypeScript guests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from typegraph import Graph, Policy, WireRuntime, t, typegraph
from wire import Host, HostcallError, WireError
from wire.graphql import ANONYMOUS, AuthContext, Gateway, Request
from wire.graphql.limits import Deadline

JSON = t.union(
    [
        t.optional(t.boolean()),
        t.float(),
        t.string(),
        t.list(t.ref("Json")),
        t.struct({}, additional_properties=True),
    ]
).rename("Json")
PAIR = t.struct({"a": t.integer(), "b": t.integer()}).rename("Pair")


def calls_document(guests: dict[str, Path]) -> dict[str, Any]:
    @typegraph()
    def calls(g: Graph) -> None:
        caller = WireRuntime(str(guests["hostcaller"]), name="caller", deadline_ms=5_000)
        echo = WireRuntime(str(guests["echo"]), name="echo")
        spin = WireRuntime(str(guests["loop"]), name="spin", deadline_ms=60_000)
        is_admin = caller.policy("is_admin", op="decide")
        call_args = t.struct({"function": t.string(), "args": JSON}).rename("CallArgs")
        g.expose(
            Policy.public(),
            via_call=caller.handler(call_args, JSON, name="call"),
            pair=echo.handler(PAIR, PAIR, name="pair"),
            secret=echo.handler(PAIR, PAIR, name="secret").with_policy(Policy.internal()),
            forbidden=echo.handler(PAIR, PAIR, name="forbidden").with_policy(Policy.deny()),
            stats=echo.handler(PAIR, PAIR, name="stats").with_policy(is_admin),
            bad_output=echo.handler(PAIR, t.integer(), name="bad_output"),
            spin=spin.handler(t.struct({}).rename("Nothing"), t.boolean(), name="spin"),
        )
        g.define(helper=echo.handler(PAIR, PAIR, name="helper"))

    return calls.document()


class Calls:
    """A gateway over the `calls` typegraph (its `call` op registered), and how the test
    decides the custom policy `is_admin` (its `decide` op)."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.host = gateway.host
        self.decisions: list[dict[str, Any]] = []
        self.host.hostcalls.register(
            "decide",
            self.decide,
            args_schema={"type": "object"},
            result_schema={"enum": ["allow", "deny", "pass"]},
        )

    def decide(self, _ctx: Any, policy_input: dict[str, Any]) -> str:
        self.decisions.append(policy_input)
        return "allow" if policy_input["context"]["user"] == "admin" else "deny"

    def call(self, function: str, args: Any, auth: AuthContext | None = None) -> Any:
        """`function(args)` called by the `via_call` guest: its result, or the `call` op's
        error as the guest got it (`{code, message, details?}`)."""
        extra = {} if auth is None else {"auth": auth}
        try:
            return self.host.call_sync(
                "via_call", {"function": function, "args": args}, extra=extra
            )
        except WireError as e:
            if e.code != "handler_error":
                raise
            error: dict[str, Any] = orjson.loads(e.message[e.message.index("{") :])
            return HostcallError(error["message"], code=error["code"], details=error.get("details"))


@pytest.fixture(scope="module")
def calls(wat: Callable[[str], Path]) -> Iterator[Calls]:
    doc = calls_document({name: wat(name) for name in ("hostcaller", "echo", "loop")})
    with Host(doc, Path("/")) as host:
        yield Calls(Gateway(host))


def test_a_guest_calls_a_function_by_name(calls: Calls) -> None:
    assert calls.call("pair", {"a": 1, "b": 2}) == {"a": 1, "b": 2}


def test_an_unexposed_function_is_reachable_from_the_typegraphs_guests(calls: Calls) -> None:
    assert calls.call("helper", {"a": 3, "b": 4}) == {"a": 3, "b": 4}
    with pytest.raises(WireError) as denied:  # and from nowhere else
        calls.gateway.policies.enforce_exposed("helper", _request())
    assert denied.value.code == "policy_denied"


def test_deny_runs_nothing(calls: Calls) -> None:
    err = calls.call("forbidden", {"a": 1, "b": 2})
    assert isinstance(err, HostcallError) and err.code == "policy_denied"
    assert "denied by policy 'deny'" in err.message and err.details == {"policy": "deny"}


def test_internal_functions_answer_a_call(calls: Calls) -> None:
    assert calls.call("secret", {"a": 5, "b": 6}) == {"a": 5, "b": 6}
    with pytest.raises(WireError, match="is internal: only guests reach it"):
        calls.gateway.policies.enforce("secret", _request())  # a client's own call


def test_a_custom_policy_decides_with_the_callers_context(calls: Calls) -> None:
    calls.decisions.clear()
    admin = AuthContext(provider="basic", user="admin")
    assert calls.call("stats", {"a": 1, "b": 1}, auth=admin) == {"a": 1, "b": 1}
    err = calls.call("stats", {"a": 1, "b": 1}, auth=AuthContext(provider="basic", user="bob"))
    assert isinstance(err, HostcallError) and err.code == "policy_denied"
    assert "denied by policy 'is_admin'" in err.message
    contexts = [d["context"] for d in calls.decisions]
    assert [(c["user"], c["internal"]) for c in contexts] == [("admin", True), ("bob", True)]
    assert {(d["function"], d["effect"]) for d in calls.decisions} == {("stats", "read")}


def test_arguments_are_checked_against_the_input_schema(calls: Calls) -> None:
    err = calls.call("pair", {"a": "one", "b": 2})
    assert isinstance(err, HostcallError) and err.code == "invalid_input"
    assert err.details == [{"path": "a", "message": '"one" is not of type "integer"'}]
    assert calls.call("pair", {"a": 1}).code == "invalid_input"


def test_results_are_checked_against_the_output_schema(calls: Calls) -> None:
    err = calls.call("bad_output", {"a": 1, "b": 2})
    assert isinstance(err, HostcallError) and err.code == "invalid_output"
    assert "does not match the output type" in err.message


def test_an_unknown_function(calls: Calls) -> None:
    err = calls.call("nope", {})
    assert isinstance(err, HostcallError) and err.code == "unknown_function"
    assert "no function 'nope' in typegraph 'calls'" in err.message
    assert "pair" in err.message  # the functions it has


def test_arguments_must_be_an_object(calls: Calls) -> None:
    err = calls.call("pair", [1, 2])
    assert isinstance(err, HostcallError) and err.code == "invalid_args"


def test_nesting_stops_at_the_recursion_limit(calls: Calls) -> None:
    def nested(depth: int) -> dict[str, Any]:
        args: dict[str, Any] = {"function": "pair", "args": {"a": depth, "b": 0}}
        for _ in range(depth):
            args = {"function": "via_call", "args": args}
        return args

    assert calls.call(**nested(3)) == {"a": 3, "b": 0}  # four guests deep, then `pair`
    err = calls.call(**nested(20))
    # each level reports its callee's failure; the innermost one says why
    assert isinstance(err, HostcallError) and "recursion_limit" in err.message
    assert "guest calls nested deeper than 16" in err.message


def test_a_call_ends_by_its_callers_deadline(calls: Calls) -> None:
    # `spin` may run 60 s; its caller (`via_call`, 5 s) would be gone long before that
    began = time.monotonic()
    with pytest.raises(WireError) as stopped:
        calls.host.call_sync("via_call", {"function": "spin", "args": {}})
    assert time.monotonic() - began < 30  # nowhere near spin's own 60 s
    assert "deadline_exceeded" in f"{stopped.value.code} {stopped.value.message}"


def test_a_call_shares_the_requests_deadline(calls: Calls) -> None:
    query = "query($f: String!) { via_call(function: $f, args: {}) }"
    began = time.monotonic()
    body = calls.gateway.execute_sync(query, {"f": "spin"}, deadline=Deadline(0.5))
    assert time.monotonic() - began < 4.5  # before the caller's own 5 s
    (err,) = body["errors"]
    assert err["extensions"]["code"] == "handler_error"
    assert '"code":"request_timeout"' in err["message"]
    assert "deadline of 0.5 s" in err["message"]
    # a request already past its deadline starts no call
    late = Deadline(10, at=time.monotonic() - 1)
    extra = {"deadline": late}
    with pytest.raises(WireError) as refused:
        calls.host.call_sync("via_call", {"function": "pair", "args": {}}, extra=extra)
    assert '"code":"request_timeout"' in refused.value.message


def test_calls_from_many_threads_at_once(calls: Calls) -> None:
    results: list[Any] = []

    def work(i: int) -> None:
        results.append(calls.call("pair", {"a": i, "b": -i}))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(r["a"] for r in results) == list(range(8))


def _request() -> Request:
    return Request(ANONYMOUS, sync=True)
