"""Who is calling: the auth context of a request, from a JWT bearer token or basic auth.

- `Authorization: Bearer <jwt>`: HS256 (a shared secret) or RS256 (a public key), both
  from the server's configuration, checked with PyJWT (signature, `exp`, `nbf`, and
  `aud`/`iss` when configured). The key is picked by the token's `alg`, and only the
  algorithms that have a key are accepted (no algorithm confusion).
- `Authorization: Basic ...`: a user the typegraph lists (`g.auth(basic=[...])`) with
  the password from configuration.
- no header: the anonymous context.

A guest's `gql` hostcall runs with its caller's context marked `internal`; a client
cannot set `internal` (claims live under `claims`, apart from the fields wire sets).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import jwt

from .errors import AuthError

Provider = Literal["anonymous", "jwt", "basic"]


@dataclass(frozen=True)
class AuthContext:
    """The caller as policies see it (`context` in a custom policy's input)."""

    provider: Provider = "anonymous"
    user: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)
    internal: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "user": self.user,
            "claims": dict(self.claims),
            "internal": self.internal,
        }

    def as_internal(self) -> AuthContext:
        return self if self.internal else replace(self, internal=True)


ANONYMOUS = AuthContext()


@dataclass(frozen=True)
class AuthConfig:
    """Keys and passwords: from CLI flags or the environment (see `from_env`)."""

    jwt_secret: str | None = None  # HS256
    jwt_public_key: str | None = None  # RS256, PEM
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    # typegraph -> user -> password
    basic: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> AuthConfig:
        """`WIRE_JWT_SECRET`, `WIRE_JWT_PUBLIC_KEY` (PEM text or a file path),
        `WIRE_JWT_AUDIENCE`, `WIRE_JWT_ISSUER`; explicit `overrides` win when not None."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {
            "jwt_secret": env.get("WIRE_JWT_SECRET"),
            "jwt_public_key": env.get("WIRE_JWT_PUBLIC_KEY"),
            "jwt_audience": env.get("WIRE_JWT_AUDIENCE"),
            "jwt_issuer": env.get("WIRE_JWT_ISSUER"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        key = values["jwt_public_key"]
        if key and "-----BEGIN" not in key:
            values["jwt_public_key"] = Path(key).read_text()
        return cls(**values)

    def basic_password(self, typegraph: str, user: str, env: Mapping[str, str]) -> str | None:
        """The configured password, else `WIRE_<TYPEGRAPH>_BASIC_<USER>` (upper case)."""
        found = self.basic.get(typegraph, {}).get(user)
        if found is not None:
            return found
        return env.get(f"WIRE_{typegraph.upper()}_BASIC_{user.upper()}")


class Authenticator:
    """Turns an `Authorization` header into an `AuthContext` for one typegraph."""

    def __init__(
        self,
        config: AuthConfig,
        typegraph: str,
        basic_users: list[str],
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config
        self.typegraph = typegraph
        self._keys: dict[str, Any] = {}
        if config.jwt_secret:
            self._keys["HS256"] = config.jwt_secret
        if config.jwt_public_key:
            self._keys["RS256"] = config.jwt_public_key
        env = os.environ if env is None else env
        self._passwords: dict[str, str] = {}
        for user in basic_users:
            pw = config.basic_password(typegraph, user, env)
            if pw:  # a user without a password cannot sign in
                self._passwords[user] = pw

    def authenticate(self, authorization: str | None) -> AuthContext:
        if not authorization:
            return ANONYMOUS
        scheme, _, credentials = authorization.strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer":
            return self._jwt(credentials.strip())
        if scheme == "basic":
            return self._basic(credentials.strip())
        raise AuthError(
            f"unsupported Authorization scheme {scheme!r}: use 'Bearer <jwt>' or 'Basic ...'",
            where=self.typegraph,
        )

    def _jwt(self, token: str) -> AuthContext:
        if not self._keys:
            raise AuthError(
                "a bearer token was sent but the server has no JWT key configured "
                "(WIRE_JWT_SECRET or WIRE_JWT_PUBLIC_KEY)",
                where=self.typegraph,
            )
        try:
            alg = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError as e:
            raise AuthError(f"invalid bearer token: {e}", where=self.typegraph) from None
        key = self._keys.get(str(alg))
        if key is None:
            raise AuthError(
                f"bearer token algorithm {alg!r} is not accepted (accepted: "
                f"{', '.join(sorted(self._keys))})",
                where=self.typegraph,
            )
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[str(alg)],
                audience=self.config.jwt_audience,
                issuer=self.config.jwt_issuer,
                options={"verify_aud": self.config.jwt_audience is not None},
            )
        except jwt.PyJWTError as e:
            raise AuthError(f"invalid bearer token: {e}", where=self.typegraph) from None
        sub = claims.get("sub")
        return AuthContext("jwt", str(sub) if sub is not None else None, claims)

    def _basic(self, credentials: str) -> AuthContext:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise AuthError("malformed basic credentials", where=self.typegraph) from None
        user, sep, password = decoded.partition(":")
        expected = self._passwords.get(user)
        # compare_digest on every path: no timing hint about which users exist
        ok = hmac.compare_digest(password.encode(), (expected or "\0").encode())
        if not sep or expected is None or not ok:
            raise AuthError("wrong user or password", where=self.typegraph)
        return AuthContext("basic", user, {})
