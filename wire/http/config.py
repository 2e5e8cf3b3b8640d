"""Server configuration: CLI flags over environment variables over defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..graphql import AuthConfig, CostLimits
from ..messaging.connect import DEFAULT_TIMEOUT_S, TIMEOUT_ENV
from .errors import ConfigError

_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class ServerConfig:
    """How `wire serve` runs. Each field has a `WIRE_*` environment variable."""

    host: str = "127.0.0.1"  # WIRE_HOST
    port: int = 7890  # WIRE_PORT (0: any free port; the URL printed says which)
    workers: int | None = None  # WIRE_WORKERS: guest worker threads per typegraph
    max_body_bytes: int = 1 << 20  # WIRE_MAX_BODY_BYTES: larger requests get 413
    production: bool = False  # WIRE_PRODUCTION: mask internal errors, no GraphiQL
    graphiql: bool = True  # WIRE_GRAPHIQL
    watch: bool = False  # WIRE_WATCH: reload a typegraph when its files change
    graceful_shutdown_s: float = 30.0  # WIRE_GRACEFUL_SHUTDOWN_S
    broker: str = "memory://"  # WIRE_BROKER: where typegraphs' channels run
    broker_timeout_s: float = DEFAULT_TIMEOUT_S  # WIRE_BROKER_TIMEOUT_S: to connect and subscribe
    # Slow clients: the request head, then the body, must arrive within these (else 408).
    header_timeout_s: float = 10.0  # WIRE_HEADER_TIMEOUT_S
    body_timeout_s: float = 30.0  # WIRE_BODY_TIMEOUT_S
    # What one GraphQL operation may cost (see wire/graphql/limits.py).
    max_depth: int = CostLimits.max_depth  # WIRE_MAX_DEPTH
    max_aliases: int = CostLimits.max_aliases  # WIRE_MAX_ALIASES
    max_fields: int = CostLimits.max_fields  # WIRE_MAX_FIELDS
    max_repeats: int = CostLimits.max_repeats  # WIRE_MAX_REPEATS
    max_tokens: int = CostLimits.max_tokens  # WIRE_MAX_TOKENS
    request_timeout_s: float = CostLimits.request_timeout_s  # WIRE_REQUEST_TIMEOUT_S
    subscription_backlog: int = CostLimits.subscription_backlog  # WIRE_SUBSCRIPTION_BACKLOG
    auth: AuthConfig = field(default_factory=AuthConfig)

    @property
    def limits(self) -> CostLimits:
        """The GraphQL cost limits every served typegraph applies."""
        return CostLimits(
            max_depth=self.max_depth,
            max_aliases=self.max_aliases,
            max_fields=self.max_fields,
            max_repeats=self.max_repeats,
            max_tokens=self.max_tokens,
            request_timeout_s=self.request_timeout_s,
            subscription_backlog=self.subscription_backlog,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **flags: Any) -> ServerConfig:
        """Defaults, then `WIRE_*` variables, then `flags` (those not None)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}

        def put(key: str, var: str, conv: Any) -> None:
            raw = env.get(var)
            if raw is None or raw == "":
                return
            try:
                values[key] = conv(raw)
            except ValueError:
                raise ConfigError(f"{var}={raw!r} is not a valid value") from None

        def flag(raw: str) -> bool:
            return raw.strip().lower() in _TRUE

        put("host", "WIRE_HOST", str)
        put("port", "WIRE_PORT", int)
        put("workers", "WIRE_WORKERS", int)
        put("max_body_bytes", "WIRE_MAX_BODY_BYTES", int)
        put("production", "WIRE_PRODUCTION", flag)
        put("graphiql", "WIRE_GRAPHIQL", flag)
        put("watch", "WIRE_WATCH", flag)
        put("graceful_shutdown_s", "WIRE_GRACEFUL_SHUTDOWN_S", float)
        put("broker", "WIRE_BROKER", str)
        put("broker_timeout_s", TIMEOUT_ENV, float)
        put("header_timeout_s", "WIRE_HEADER_TIMEOUT_S", float)
        put("body_timeout_s", "WIRE_BODY_TIMEOUT_S", float)
        put("max_depth", "WIRE_MAX_DEPTH", int)
        put("max_aliases", "WIRE_MAX_ALIASES", int)
        put("max_fields", "WIRE_MAX_FIELDS", int)
        put("max_repeats", "WIRE_MAX_REPEATS", int)
        put("max_tokens", "WIRE_MAX_TOKENS", int)
        put("request_timeout_s", "WIRE_REQUEST_TIMEOUT_S", float)
        put("subscription_backlog", "WIRE_SUBSCRIPTION_BACKLOG", int)
        auth_flags = {k: flags.pop(k, None) for k in list(flags) if k.startswith("jwt_")}
        values.update({k: v for k, v in flags.items() if v is not None})
        values["auth"] = AuthConfig.from_env(env, **auth_flags)
        if "graphiql" not in values and values.get("production"):
            values["graphiql"] = False
        cfg = cls(**values)
        if cfg.workers is not None and cfg.workers < 1:
            raise ConfigError("workers must be at least 1")
        if cfg.max_body_bytes < 1024:
            raise ConfigError("max_body_bytes must be at least 1024")
        for name in ("header_timeout_s", "body_timeout_s", "broker_timeout_s"):
            if getattr(cfg, name) <= 0:
                raise ConfigError(f"{name} must be positive")
        try:
            cfg.limits  # noqa: B018 - checks the GraphQL limits
        except ValueError as e:
            raise ConfigError(str(e)) from None
        return cfg
