"""What the `wire` command shows a person: progress for each slow step (one parseable line
each when not in a terminal, a ticking line in one), and every ordinary mistake as an error
of one or two lines that says what to do, never a traceback. Real processes throughout."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
WIRE = Path(sys.executable).parent / "wire"
MATH = REPO / "examples" / "math"
ORDERS = REPO / "examples" / "orders" / "typegraph.py"
# wire.progress: `wire: <step>: <outcome> (<seconds> s[; <detail>])`
STEP = re.compile(
    r"^wire: (?P<step>.+?): (?P<outcome>built|compiled|installed|cached|done|failed) "
    r"\((?P<seconds>\d+\.\d) s(?:; (?P<detail>.*))?\)$"
)


def wire(
    *args: str | Path, env: dict[str, str] | None = None, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(WIRE), *map(str, args)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def error_lines(stderr: str) -> list[str]:
    """The error: its `error [...]` line and what follows it (step lines come before)."""
    lines = stderr.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("error [")]
    assert len(starts) == 1, stderr
    return lines[starts[0] :]


def assert_short_error(out: subprocess.CompletedProcess[str], code: str) -> list[str]:
    """Exit 1, no traceback, the error in one or two lines with its code."""
    assert out.returncode == 1, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr, out.stderr
    lines = error_lines(out.stderr)
    assert 1 <= len(lines) <= 2, out.stderr
    assert lines[0].startswith(f"error [{code}]: "), out.stderr
    return lines


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_version() -> None:
    out = wire("--version")
    assert out.returncode == 0
    assert re.fullmatch(
        r"wire \d+\.\d+\.\d+\S* \(wasmtime 50\.\d+\.\d+, Python 3\.\d+\.\d+\)\n", out.stdout
    )


def test_a_busy_port_is_one_line_before_anything_is_built(busy_port: int) -> None:
    out = wire("serve", "--port", str(busy_port), MATH / "typegraph.py")
    (line,) = assert_short_error(out, "port_unavailable")
    assert f"port {busy_port} is in use" in line and "--port 0 for any free one" in line
    assert "wire: build" not in out.stderr and "wire: compile" not in out.stderr


def test_a_guest_without_its_sdk_says_to_run_codegen(tmp_path: Path) -> None:
    """Detected before componentize-py runs (it used to fail after ~17 s with its own
    traceback): the error names the codegen command, typegraph and folder included."""
    for name in ("typegraph.py", "typegraph_ts.py", "math_api.py"):
        shutil.copy(MATH / name, tmp_path / name)
    (tmp_path / "guest").mkdir()
    shutil.copy(MATH / "guest" / "app.py", tmp_path / "guest" / "app.py")
    (tmp_path / "guest-ts").mkdir()
    shutil.copy(MATH / "guest-ts" / "app.ts", tmp_path / "guest-ts" / "app.ts")
    build = wire("build", "guest", cwd=tmp_path)
    (line,) = assert_short_error(build, "sdk_missing")
    assert "run `wire codegen python typegraph.py -o guest` first" in line
    call = wire("call", "typegraph.py", "add", '{"a": 1, "b": 2}', cwd=tmp_path)
    (line,) = assert_short_error(call, "sdk_missing")
    assert "`wire codegen python typegraph.py -o guest`" in line
    ts = wire("build", "guest-ts", cwd=tmp_path)
    (line,) = assert_short_error(ts, "sdk_missing")
    assert "run `wire codegen typescript typegraph_ts.py -o guest-ts` first" in line


@pytest.mark.parametrize(
    "args",
    [
        ("call", "nope.py", "add"),
        ("serve", "--port", "0", "nope.py"),
        ("build", "nope"),
        ("typegraph", "nope.py"),
        ("asyncapi", "nope.py"),
        ("consume", "nope.py"),
    ],
    ids=lambda a: a[0],
)
def test_a_missing_file_is_one_line(args: tuple[str, ...], tmp_path: Path) -> None:
    out = wire(*args, cwd=tmp_path)
    (line,) = assert_short_error(out, "build_failed" if args[0] == "build" else "typegraph_invalid")
    assert "nope" in line


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def broken(:\n", "line 1: SyntaxError: invalid syntax"),
        ("import os\nimport no_such_module_here\n", "line 2: ModuleNotFoundError: No module"),
        (
            "from typegraph import Graph, typegraph\n\n"
            "@typegraph()\ndef tg(g: Graph) -> None:\n    g.nothing_like_this()\n",
            "line 5: AttributeError: 'Graph' object has no attribute 'nothing_like_this'",
        ),
    ],
    ids=["syntax", "import", "bug"],
)
def test_a_broken_typegraph_file_says_where(source: str, expected: str, tmp_path: Path) -> None:
    (tmp_path / "tg.py").write_text(source)
    for command in (("typegraph", "tg.py"), ("serve", "--port", "0", "tg.py")):
        out = wire(*command, cwd=tmp_path)
        (line,) = assert_short_error(out, "typegraph_invalid")
        assert re.match(rf"error \[typegraph_invalid\]: \S*tg\.py: {re.escape(expected)}", line)


def test_a_missing_broker_client_says_which_extra_to_install(tmp_path: Path) -> None:
    """As if nats-py were not installed: a `nats` package that cannot be imported, first on
    the path."""
    (tmp_path / "nats").mkdir()
    (tmp_path / "nats" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'nats'\", name='nats')\n"
    )
    env = {"PYTHONPATH": str(tmp_path)}
    for args in (
        ("serve", "--port", "0", "--broker", "nats://127.0.0.1:4222", ORDERS),
        ("publish", "x.y", "{}", "--broker", "nats://127.0.0.1:4222"),
    ):
        out = wire(*args, env=env)
        (line,) = assert_short_error(out, "missing_dependency")
        assert "the NATS broker client (nats-py) is not installed" in line
        assert line.endswith(
            "install the extra, pip install 'wire[nats]' (in this checkout: make setup)"
        )
        assert "wire: build" not in out.stderr  # found before building


@pytest.mark.parametrize("command", ["serve", "consume"])
def test_an_unreachable_broker_is_one_line(command: str) -> None:
    """A server that accepts connections and never speaks, and a port nobody listens on:
    nats-py would retry either for ever (`wire consume` hung silently until this test)."""
    extra = ["--port", "0"] if command == "serve" else []
    with socket.socket() as mute:
        mute.bind(("127.0.0.1", 0))
        mute.listen()
        closed = free_port()
        for port in (mute.getsockname()[1], closed):
            url = f"nats://127.0.0.1:{port}"
            args = (command, *extra, "--broker", url, ORDERS)
            out = wire(*args, env={"WIRE_BROKER_TIMEOUT_S": "2"})
            (line,) = assert_short_error(out, "broker_unreachable")
            assert "did not answer within 2 s: is it running" in line and "--broker" in line


@pytest.mark.parametrize(
    ("command", "code"), [("serve", "bad_config"), ("consume", "messaging_error")]
)
def test_a_bad_broker_timeout_is_one_line_before_anything_is_built(command: str, code: str) -> None:
    extra = ["--port", "0"] if command == "serve" else []
    args = (command, *extra, "--broker", "nats://127.0.0.1:4222", ORDERS)
    out = wire(*args, env={"WIRE_BROKER_TIMEOUT_S": "soon"})
    (line,) = assert_short_error(out, code)
    assert "WIRE_BROKER_TIMEOUT_S" in line and "'soon'" in line
    assert "wire: build" not in out.stderr and "wire: compile" not in out.stderr


def test_consume_stops_on_sigterm_while_the_broker_does_not_answer() -> None:
    url = f"nats://127.0.0.1:{free_port()}"
    proc = subprocess.Popen(
        [str(WIRE), "consume", "--broker", url, str(ORDERS)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "WIRE_BROKER_TIMEOUT_S": "60"},
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # built and compiled: it is connecting now
        if line.startswith("wire: compile"):
            break
    time.sleep(1)
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("wire consume ignored SIGTERM while connecting") from None
    assert proc.returncode == 0, err
    assert "stopped before the broker answered" in err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_steps_are_one_parseable_line_each_when_not_in_a_terminal() -> None:
    built = wire("build", MATH / "guest")
    assert built.returncode == 0, built.stderr
    steps = [STEP.match(line) for line in built.stderr.splitlines()]
    assert [(m["step"], m["outcome"], m["detail"]) for m in steps if m] == [
        ("build examples/math/guest", "cached", "up to date")
    ]
    assert len(steps) == 1 and "\r" not in built.stderr
    call = wire("call", MATH / "typegraph.py", "add", '{"a": 1, "b": 2}')
    assert (call.returncode, call.stdout) == (0, "3\n"), call.stderr
    lines = call.stderr.splitlines()
    matched = [STEP.match(line) for line in lines]
    assert all(matched), call.stderr  # nothing else: no log noise
    assert [m["step"] for m in matched if m] == [
        "build examples/math/guest",
        "compile examples/math/guest",
    ]
    assert {m["outcome"] for m in matched if m} <= {"built", "cached", "compiled"}


def run_in_terminal(args: list[str], cwd: Path, timeout: float = 300) -> str:
    """Run `wire args` with a pseudo-terminal as its stdout and stderr; all it wrote."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [str(WIRE), *args], cwd=cwd, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    data = os.read(leader, 4096)
                except OSError:  # the child is gone and the terminal closed
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
    finally:
        os.close(leader)
        proc.wait(30)
    return b"".join(chunks).decode(errors="replace")


def test_a_failing_build_ticks_in_a_terminal_then_says_what_failed(tmp_path: Path) -> None:
    """componentize-py runs for seconds before it fails on the import: meanwhile the step's
    line ticks every second; then the error is its gist and where the whole output is."""
    guest = tmp_path / "guest"
    guest.mkdir()
    (guest / "app.py").write_text(f"import no_such_module_here\n# {time.time_ns()}\n")
    screen = run_in_terminal(["build", "guest"], cwd=tmp_path)
    ticks = re.findall(r"\r\x1b\[Kwire: build guest… (\d+) s \(componentize-py; ", screen)
    assert len(ticks) >= 2 and ticks == sorted(ticks, key=int), screen
    assert len(set(ticks)) >= 2, screen  # the seconds went on
    lines = [line.split("\r\x1b[K")[-1] for line in screen.replace("\r\n", "\n").split("\n")]
    lines = [line for line in lines if line]
    failed = next(i for i, line in enumerate(lines) if line.startswith("wire: build guest: failed"))
    assert STEP.match(lines[failed])
    error = lines[failed + 1 :]
    assert len(error) == 2, lines
    assert error[0] == (
        "error [build_failed]: guest: componentize-py failed (exit 1): "
        "ModuleNotFoundError: No module named 'no_such_module_here'"
    )
    log = Path(error[1].split("its whole output: ")[1])
    assert "Traceback" in log.read_text() and "no_such_module_here" in log.read_text()


def test_wire_serve_shows_its_steps_before_it_serves() -> None:
    from serving import serve

    with serve(ORDERS) as server:
        ready = next(i for i, ln in enumerate(server.lines) if "serving 1 typegraph(s)" in ln)
        before = [STEP.match(ln) for ln in server.lines[:ready]]
    steps = [m["step"] for m in before if m]
    assert steps == [
        "build examples/orders/guest",
        "compile examples/orders/guest",
        "start the channels of orders on memory://",
    ], server.lines
