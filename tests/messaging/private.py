"""Private broker processes on free ports, for tests that kill or restart a broker: the
shared ones on the standard ports are never touched (other runs use them at the same time).

Each keeps its state in a temporary folder, so a restart (`kill(signal)` then `start()`)
finds what a real restart would: NATS its JetStream store, Redis its append-only file,
Mosquitto its persistence file.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# What a durable-minded Mosquitto is configured with (examples/mosquitto.conf says why):
# a session may queue this many QoS 1 messages before the broker drops them.
MOSQUITTO_QUEUE = 1_000_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)), None
    )
    if found is None:
        message = f"{name} is not installed (the drills start private brokers)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return found


class PrivateBroker:
    """A broker process of ours: `url`, `start()`, `kill(sig)`, `restart(sig)`."""

    scheme = ""
    name = ""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = folder / "broker.log"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.log.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"{self.name} did not listen on {self.port} within 20 s")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)
        self.proc.wait(30)
        self.proc = None
        self.check_log()

    def check_log(self) -> None:
        """Fail if the broker logged that it could not keep its state (a restart would then
        test a broker that forgets, not wire)."""

    def restart(self, sig: int = signal.SIGKILL, down_s: float = 0.5) -> None:
        """Stop it with `sig` (SIGKILL: a crash; SIGTERM: a clean stop), wait, start it
        again on the same port with the same state folder."""
        self.kill(sig)
        time.sleep(down_s)
        self.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
        self.proc = None


class PrivateNats(PrivateBroker):
    scheme, name = "nats", "nats-server"

    def command(self) -> list[str]:
        return [
            _binary("nats-server"), "-a", "127.0.0.1", "-p", str(self.port), "-js",
            "-sd", str(self.folder / "js"),
        ]  # fmt: skip


class PrivateRedis(PrivateBroker):
    scheme, name = "redis", "redis-server"

    def command(self) -> list[str]:
        # appendonly: every write reaches the file before its reply (a process crash loses
        # nothing acknowledged); no RDB snapshots.
        return [
            _binary("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
            "--dir", str(self.folder), "--daemonize", "no",
        ]  # fmt: skip

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class PrivateMosquitto(PrivateBroker):
    scheme, name = "mqtt", "mosquitto"
    queue = MOSQUITTO_QUEUE  # max_queued_messages

    def command(self) -> list[str]:
        conf = self.folder / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            # Started as root, Mosquitto drops to the `mosquitto` user, which cannot write
            # this folder (mkdtemp: 0700): its persistence then fails on every save and a
            # restart forgets every session. It stays the user that started it.
            f"user {getpass.getuser()}\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {self.folder}/\n"
            # saved on every change: a crash (kill -9) loses at most what was in flight
            "autosave_on_changes true\n"
            "autosave_interval 1\n"
            f"max_queued_messages {self.queue}\n"
            "max_queued_bytes 0\n"
            "sys_interval 1\n"
        )
        return [_binary("mosquitto"), "-c", str(conf)]

    def check_log(self) -> None:
        log = self.log.read_text(errors="replace")
        assert "Error saving in-memory database" not in log, log[-2000:]


KINDS: dict[str, type[PrivateBroker]] = {
    "nats": PrivateNats,
    "redis": PrivateRedis,
    "mqtt": PrivateMosquitto,
}


@contextmanager
def private_broker(kind: str, **settings: object) -> Iterator[PrivateBroker]:
    """A started private broker of `kind` (`settings` override its class attributes),
    stopped and its state removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=f"wire-{kind}-"))
    broker = KINDS[kind](folder)
    for k, v in settings.items():
        setattr(broker, k, v)
    try:
        broker.start()
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(folder, ignore_errors=True)
