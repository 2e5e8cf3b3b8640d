"""The GraphQL gateway: a typegraph as a graphql-core schema, policies, auth, `gql`."""

from .auth import ANONYMOUS, AuthConfig, AuthContext, Authenticator
from .errors import (
    AuthError,
    PolicyDenied,
    PolicyFailed,
    RequestTimeout,
    SchemaError,
    SubscriptionOverflow,
)
from .gateway import Gateway
from .limits import CostLimits
from .policies import Policies, Request
from .schema import build_schema

__all__ = [
    "ANONYMOUS",
    "AuthConfig",
    "AuthContext",
    "AuthError",
    "Authenticator",
    "CostLimits",
    "Gateway",
    "Policies",
    "PolicyDenied",
    "PolicyFailed",
    "Request",
    "RequestTimeout",
    "SchemaError",
    "SubscriptionOverflow",
    "build_schema",
]
