"""Stable member names for consumer groups: `<consumer>.<n>`, where `consumer` is the
process's consumer name (`?consumer=`, default the host name) and `n` the lowest member
number of the group that no live process on this machine holds.

A number is held with an exclusive `flock` on a file per (broker, group, consumer, n)
under wire's private cache: the kernel releases it when its holder dies, however it dies,
so a restarted process gets its number back and resumes its own state on the broker (its
Redis pending entries, its MQTT session) instead of leaving it behind for good, and two
live processes never share a name. Processes on other machines have other consumer names.
A file whose lock nobody holds is a member that is gone: `orphans` hands them to a live
member of the group, which takes over what they left (and `forget`s them).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from ..paths import cache_dir


def default_consumer() -> str:
    """The consumer name of this machine (stable across restarts, unlike a pid)."""
    return socket.gethostname() or "wire"


@dataclass
class Member:
    """A held member number; `release()` gives it back (closing the lock file)."""

    name: str
    n: int
    _fd: int | None
    path: Path

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # drops the flock
            self._fd = None

    def forget(self) -> None:
        """Release it for good: the number is free and no longer a member that is gone."""
        if self._fd is not None:
            self.path.unlink(missing_ok=True)  # still locked: no one can take it meanwhile
        self.release()


def _folder() -> Path:
    return cache_dir("members")


def _key(broker: str, group: str, consumer: str) -> str:
    return hashlib.sha256(f"{broker}|{group}|{consumer}".encode()).hexdigest()[:24]


def _lock(path: Path, *, create: bool) -> int | None:
    """An fd holding `path`'s lock, or None when another holds it (or it is gone)."""
    try:
        fd = os.open(path, os.O_RDWR | (os.O_CREAT if create else 0), 0o600)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # Locked, but is it still the file at `path`? (`forget` may have removed it.)
        if os.fstat(fd).st_ino != os.stat(path).st_ino:
            raise BlockingIOError
    except (BlockingIOError, FileNotFoundError):
        os.close(fd)
        return None
    return fd


def take(broker: str, group: str, consumer: str) -> Member:
    """The lowest member number of `group` free on this machine, held until released."""
    key = _key(broker, group, consumer)
    folder = _folder()
    n = 1
    while True:
        path = folder / f"{key}.{n}.lock"
        fd = _lock(path, create=True)
        if fd is not None:
            return Member(f"{consumer}.{n}", n, fd, path)
        n += 1


def orphans(broker: str, group: str, consumer: str) -> list[Member]:
    """The members of `group` on this machine that are gone (their file is there, their
    lock free), each now held by the caller: take over what they left, then `forget`."""
    key = _key(broker, group, consumer)
    out = []
    for path in sorted(_folder().glob(f"{key}.*.lock")):
        fd = _lock(path, create=False)
        if fd is not None:
            n = int(path.name.split(".")[1])
            out.append(Member(f"{consumer}.{n}", n, fd, path))
    return out
