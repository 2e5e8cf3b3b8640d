"""Restart a local broker, or cut every client connection, and always leave it running."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

START = {
    "nats": [
        "start-stop-daemon", "--start", "--oknodo", "--background", "--exec",
        "/usr/sbin/nats-server", "--", "-a", "127.0.0.1", "-p", "4222", "-js",
        "-sd", "/var/lib/nats-server", "-l", "/var/log/nats-server.log",
    ],
    "mqtt": ["mosquitto", "-d", "-c", "/etc/mosquitto/mosquitto.conf"],
}  # fmt: skip
PORTS = {"nats": 4222, "mqtt": 1883, "redis": 6379, "rabbitmq": 5672}


def _pid(name: str) -> int:
    if name == "mqtt":
        return int(Path("/run/mosquitto/mosquitto.pid").read_text())
    out = subprocess.run(["pgrep", "-x", "nats-server"], capture_output=True, text=True)
    return int(out.stdout.split()[0])


def _wait_port(port: int, up: bool, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            if up:
                return
        except OSError:
            if not up:
                return
        time.sleep(0.05)
    raise AssertionError(f"port {port} did not go {'up' if up else 'down'} in {timeout} s")


def disrupt(name: str) -> None:
    """NATS and Mosquitto: a graceful restart (they keep durable state on disk). Redis
    (run without persistence here) and RabbitMQ (slow to restart): every client
    connection is cut."""
    if name in START:
        pid = _pid(name)
        subprocess.run(["kill", str(pid)], check=True)
        _wait_port(PORTS[name], up=False)
        while Path(f"/proc/{pid}").exists():
            time.sleep(0.05)
        try:
            subprocess.run(START[name], check=True)
        finally:
            _wait_port(PORTS[name], up=True)
    elif name == "redis":
        subprocess.run(
            ["redis-cli", "CLIENT", "KILL", "TYPE", "normal"], check=True, capture_output=True
        )
    elif name == "rabbitmq":
        subprocess.run(
            ["rabbitmqctl", "close_all_connections", "wire fault test"],
            check=True,
            capture_output=True,
        )
