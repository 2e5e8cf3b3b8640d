"""Serving typegraphs over HTTP (uvicorn, ASGI): GraphQL, GraphiQL, health, reloads."""

from .app import create_app
from .config import ConfigError, ServerConfig
from .serve import load_all, serve
from .typegraphs import Slot, Typegraphs, load_gateway

__all__ = [
    "ConfigError",
    "ServerConfig",
    "Slot",
    "Typegraphs",
    "create_app",
    "load_all",
    "load_gateway",
    "serve",
]
