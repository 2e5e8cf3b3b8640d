"""Policy chains (Metatype's semantics): who may call an exposed function.

A function's chain is tried in order; each entry is a policy, or an effect -> policy
map that does not apply (passes) for other effects. The first `allow` or `deny`
decides; a chain where every entry passes denies (fail closed).

- `public`: allow;  `deny`: deny;
- `internal`: allow when the call comes from a guest's `gql` or `call` hostcall, else pass;
- custom: a guest op receives `{context, effect, function}` and answers
  `"allow"`, `"deny"` or `"pass"`; anything else (or a failure) denies the call with
  `policy_failed`. Its decision is remembered for the rest of the operation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from typegraph.model import Policy

from ..errors import WireError
from ..host import Host
from .auth import AuthContext
from .errors import PolicyDenied, PolicyFailed
from .limits import Deadline

Decision = Literal["allow", "deny", "pass"]
DECISIONS = ("allow", "deny", "pass")


@dataclass
class Request:
    """One GraphQL operation being executed: its caller and how resolvers must run."""

    auth: AuthContext
    # True inside a guest's `gql` hostcall: resolvers run the guests inline on the
    # calling worker thread (never back through the pool: that is what keeps nested
    # calls deadlock-free at any pool size).
    sync: bool = False
    decisions: dict[tuple[str, str], str] = field(default_factory=dict)
    # What a subscription opened (message streams): closed when the operation ends.
    streams: list[Any] = field(default_factory=list)
    # Past it, no resolver calls a guest (None: no deadline, a subscription's stream).
    deadline: Deadline | None = None

    @property
    def extra(self) -> dict[str, Any]:
        """What guest calls carry (CallerContext.extra): a nested `gql` reads the caller
        and shares its deadline."""
        return {"auth": self.auth, "deadline": self.deadline}

    def check_deadline(self, where: str) -> None:
        """Raise `RequestTimeout` when the operation is past its deadline."""
        if self.deadline is not None:
            self.deadline.check(where)


class Policies:
    """The resolved chain of every exposed function and channel operation, for its effect
    (a subscription's is `read`, a publish's `create`)."""

    def __init__(self, host: Host) -> None:
        self.host = host
        tg = host.typegraph
        self.chains: dict[str, list[Policy]] = {}
        self.effects: dict[str, str] = {}
        for name, fn in tg.exposed().items():
            self.chains[name], self.effects[name] = fn.chain(), fn.effect
        for name, op in tg.channel_ops.items():
            self.chains[name], self.effects[name] = op.chain(), op.effect

    def needs_guest(self, function: str, auth: AuthContext) -> bool:
        """Whether deciding may call a custom policy (then decide on a worker thread)."""
        for e in self.chains[function]:
            if e.kind == "custom":
                return True
            if e.kind in ("public", "deny") or (e.kind == "internal" and auth.internal):
                return False
        return False

    def enforce(self, function: str, req: Request) -> None:
        """Return when the chain allows the call; raise `PolicyDenied` otherwise.
        Blocking when a custom policy runs: call it on a worker thread."""
        chain = self.chains[function]
        for e in chain:
            decision = self._decide(e, function, req)
            if decision == "allow":
                return
            if decision == "deny":
                raise PolicyDenied(
                    f"access to '{function}' denied by policy '{e.name}'",
                    where=f"{self.host.name}.{function}",
                    details={"policy": e.name},
                )
        if any(e.kind == "internal" for e in chain) and not req.auth.internal:
            message = (
                f"'{function}' is internal: only guests reach it, through the gql or call hostcall"
            )
        else:
            message = f"no policy allowed access to '{function}' (every policy in its chain passed)"
        raise PolicyDenied(message, where=f"{self.host.name}.{function}")

    async def call(self, function: str, args: Any, req: Request) -> Any:
        """Call exposed `function` with `args` as the caller of `req`: its policy chain,
        then the guest. A custom policy and the guest go to the worker pool in one trip; a
        chain without one is decided on the event loop."""
        host = self.host
        if self.needs_guest(function, req.auth):

            def decide_and_call() -> Any:
                self.enforce(function, req)
                return host.call_sync(function, args, extra=req.extra)

            return await host.run(decide_and_call)
        self.enforce(function, req)
        return await host.call(function, args, extra=req.extra)

    def enforce_exposed(self, function: str, req: Request) -> None:
        """`enforce` for a function called by name, outside GraphQL (`wire call`): a
        function the typegraph does not expose (a channel handler, say) is denied too."""
        if function not in self.chains:
            raise PolicyDenied(
                f"'{function}' is not exposed: no client may call it",
                where=f"{self.host.name}.{function}",
            )
        self.enforce(function, req)

    def _decide(self, e: Policy, function: str, req: Request) -> str:
        if e.kind == "public":
            return "allow"
        if e.kind == "deny":
            return "deny"
        if e.kind == "internal":
            return "allow" if req.auth.internal else "pass"
        key = (e.name, function)
        found = req.decisions.get(key)
        if found is None:
            found = req.decisions[key] = self._custom(e, function, req)
        return found

    def _custom(self, e: Policy, function: str, req: Request) -> str:
        mat = e.materializer
        assert mat is not None
        runtime = self.host.runtimes[mat.runtime]
        effect = self.effects[function]
        payload = {"context": req.auth.to_json(), "effect": effect, "function": function}
        where = f"{self.host.name}.policies.{e.name}"
        try:
            out = runtime.call(
                mat.op,
                orjson.dumps(payload).decode(),
                function=f"policy {e.name}",
                extra=req.extra,
            )
        except WireError as err:
            raise PolicyFailed(f"custom policy '{e.name}' failed: {err}", where=where) from err
        try:
            decision = orjson.loads(out)
        except orjson.JSONDecodeError:
            decision = out
        if decision not in DECISIONS:
            raise PolicyFailed(
                f"custom policy '{e.name}' answered {decision!r}: expected \"allow\", "
                '"deny" or "pass"',
                where=where,
            )
        return str(decision)
