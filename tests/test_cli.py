"""The `wire` command as a user runs it: a real process, real exit codes, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = "examples/math/typegraph.py"
GATEWAY = "examples/gateway/typegraph.py"
ORDERS = "examples/orders/typegraph.py"
ANONYMOUS = (
    " (wire call runs as an anonymous client; --trusted runs it as the operator, without policies)"
)


def wire(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wire.cli", *args],
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_build_then_call() -> None:
    built = wire("build", "examples/math/guest")
    assert built.returncode == 0, built.stderr
    assert built.stdout.strip().endswith(".wasm")
    again = wire("build", "examples/math/guest")
    assert "up to date" in again.stderr
    out = wire("call", EXAMPLE, "add", '{"a": 11, "b": 2}')
    assert (out.returncode, out.stdout) == (0, "13\n"), out.stderr


def test_errors_exit_1_with_a_clear_message_and_no_crash() -> None:
    for _ in range(3):  # guest stderr output at exit once aborted the process: never again
        out = wire("call", EXAMPLE, "range", '{"a": 100, "b": 1}')
        assert out.returncode == 1, out.stderr
        assert (
            "error [handler_error]: math/guest: materializer handler error for op range: "
            "invalid range: 100 > 1" in out.stderr
        )
        assert "panicked" not in out.stderr
    bad = wire("call", EXAMPLE, "add", '{"a": "x"}')
    assert bad.returncode == 1
    assert 'error [invalid_input]: math.add: invalid arguments: "b" is a required property' in (
        bad.stderr
    )
    missing = wire("call", EXAMPLE, "nope")
    assert "no function 'nope'" in missing.stderr and missing.returncode == 1
    notjson = wire("call", EXAMPLE, "add", "{bad")
    assert "the arguments are not valid JSON" in notjson.stderr


def test_typegraph_prints_the_document() -> None:
    out = wire("typegraph", EXAMPLE)
    assert out.returncode == 0
    assert '"format": "wire-typegraph/1"' in out.stdout


def test_bad_typegraph_file_is_a_clear_error(tmp_path: Path) -> None:
    tg = tmp_path / "tg.py"
    tg.write_text(
        "from typegraph import Graph, Policy, WireRuntime, t, typegraph\n"
        "@typegraph()\n"
        "def broken(g: Graph) -> None:\n"
        "    rt = WireRuntime('guest')\n"
        "    g.expose(Policy.public(), f=rt.handler(t.struct({'a': t.integer(min=5, max=2)}),"
        " t.integer(), name='f'))\n"
    )
    out = wire("call", str(tg), "f", "{}")
    assert out.returncode == 1
    assert "functions.f.input.fields.a: minimum 5 is greater than maximum 2" in out.stderr


def test_call_runs_as_an_anonymous_client_unless_trusted() -> None:
    denied = wire("call", GATEWAY, "forbidden")
    assert denied.returncode == 1
    assert (
        "error [policy_denied]: gateway.forbidden: access to 'forbidden' denied by policy "
        "'deny'" + ANONYMOUS in denied.stderr
    ), denied.stderr
    assert "must never run" not in denied.stderr  # the guest was not called
    internal = wire("call", GATEWAY, "secret")
    assert internal.returncode == 1
    assert (
        "error [policy_denied]: gateway.secret: 'secret' is internal: only guests reach it, "
        "through the gql or call hostcall" + ANONYMOUS in internal.stderr
    ), internal.stderr
    admin_only = wire("call", GATEWAY, "stats")  # a custom policy decides, for anonymous
    assert admin_only.returncode == 1 and "error [policy_denied]" in admin_only.stderr
    # a public function reading the internal one through gql (a guest's gql is internal)
    reveal = wire("call", GATEWAY, "reveal")
    assert (reveal.returncode, reveal.stdout) == (0, '"revealed: the eagle has landed"\n')
    # --trusted: the operator's path, no policies
    trusted = wire("call", GATEWAY, "secret", "--trusted")
    assert (trusted.returncode, trusted.stdout) == (0, '"the eagle has landed"\n')


def test_call_refuses_a_function_no_client_may_call() -> None:
    # `ship` handles orders.placed: bound to a channel, not exposed
    out = wire("call", ORDERS, "ship", '{"id": 1, "item": "book", "qty": 2}')
    assert out.returncode == 1
    assert (
        "error [policy_denied]: orders.ship: 'ship' is not exposed: no client may call it"
        + ANONYMOUS
        in out.stderr
    ), out.stderr
