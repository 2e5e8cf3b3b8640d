"""Typed client SDKs for callers of a served typegraph (its GraphQL API over HTTP and
WebSocket): `model` walks the document once, `python/` and `typescript/` write a package."""

from __future__ import annotations

from .model import ClientModel, client_model

__all__ = ["ClientModel", "client_model"]
