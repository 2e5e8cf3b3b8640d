"""Policies: who may call an exposed function."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .materializer import Materializer

__all__ = ["Policy", "PolicyLike", "PolicyOn"]

PolicyKind = Literal["public", "deny", "internal", "custom"]


@dataclass(frozen=True, eq=False)
class Policy:
    """A policy. ``Policy.public()``, ``Policy.deny()``, ``Policy.internal()`` or a
    custom one from ``runtime.policy(name, op=...)``."""

    kind: PolicyKind
    name: str
    materializer: Materializer | None = None

    @staticmethod
    def public() -> Policy:
        """Anyone may call."""
        return _PUBLIC

    @staticmethod
    def deny() -> Policy:
        """Nobody may call."""
        return _DENY

    @staticmethod
    def internal() -> Policy:
        """Only guests, through the ``gql`` hostcall."""
        return _INTERNAL

    @staticmethod
    def on(
        *,
        read: Policy | None = None,
        create: Policy | None = None,
        update: Policy | None = None,
        delete: Policy | None = None,
    ) -> PolicyOn:
        """A chain entry that depends on the function's effect; an effect left out
        makes this entry not apply (``pass``)."""
        return PolicyOn(read=read, create=create, update=update, delete=delete)


@dataclass(frozen=True, eq=False)
class PolicyOn:
    """Effect -> policy (see `Policy.on`)."""

    read: Policy | None = None
    create: Policy | None = None
    update: Policy | None = None
    delete: Policy | None = None

    def items(self) -> list[tuple[str, Policy]]:
        pairs = [
            ("read", self.read),
            ("create", self.create),
            ("update", self.update),
            ("delete", self.delete),
        ]
        return [(k, v) for k, v in pairs if v is not None]


PolicyLike = Policy | PolicyOn

_PUBLIC = Policy("public", "public")
_DENY = Policy("deny", "deny")
_INTERNAL = Policy("internal", "internal")
