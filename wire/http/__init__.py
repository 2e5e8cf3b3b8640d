"""Serving typegraphs over HTTP (uvicorn, ASGI): GraphQL, GraphiQL, health, reloads."""

from .app import create_app
from .config import ServerConfig
from .errors import BrokerUnreachable, ConfigError, PortUnavailable, StartFailed
from .serve import load_all, serve
from .typegraphs import Slot, Typegraphs, load_gateway

__all__ = [
    "BrokerUnreachable",
    "ConfigError",
    "PortUnavailable",
    "ServerConfig",
    "Slot",
    "StartFailed",
    "Typegraphs",
    "create_app",
    "load_all",
    "load_gateway",
    "serve",
]
