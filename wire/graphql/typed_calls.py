"""The `call` hostcall op: a guest calls another function of its own typegraph by name.

No GraphQL in between (nothing to parse, validate or select), so it costs one policy check
and one host call. The call runs as the calling request: its caller's auth context
(`CallerContext.extra["auth"]`), marked internal as a guest's `gql` is, so
`Policy.internal()` allows it.

- An exposed function's policy chain decides, as for a client (`policy_denied`,
  `policy_failed`). An unexposed one (`g.define`: a helper, a channel handler) may be
  called too: only the typegraph's own guests reach it this way.
- Its arguments are checked against the function's input schema and its result against
  its output schema (`invalid_input`, `invalid_output`, with `details`).
- It runs on the calling worker thread, nested (no deadlock at any pool size; the
  runtime's depth limit stops runaway recursion with `recursion_limit`), and ends by its
  caller's deadline and the deadline of the request being served, whichever comes first:
  nothing is left running for a caller that is gone.
"""

from __future__ import annotations

import time
from typing import Any

from ..errors import DeadlineExceeded
from ..host import Function, Host
from ..hostcalls import CallerContext
from .auth import ANONYMOUS, AuthContext
from .errors import RequestTimeout
from .limits import Deadline
from .policies import Policies, Request

_ANONYMOUS_INTERNAL = ANONYMOUS.as_internal()  # made once: a caller without credentials


class CallOp:
    """The `call` op (`wit/ops/call.json`) of one host; a `Gateway` registers it."""

    def __init__(self, host: Host, policies: Policies) -> None:
        self.host = host
        self.policies = policies

    def __call__(self, ctx: CallerContext, args: dict[str, Any]) -> Any:
        name: str = args["function"]
        where = f"{self.host.name}.{name}"
        fn = self.host.function(name)  # unknown_function
        caller = ctx.extra.get("auth")
        auth = caller if isinstance(caller, AuthContext) else _ANONYMOUS_INTERNAL
        shared = ctx.extra.get("deadline")
        deadline = shared if isinstance(shared, Deadline) else None
        if deadline is not None:
            deadline.check(where)
        req = Request(auth.as_internal(), sync=True, deadline=deadline)
        if fn.exposed:
            self.policies.enforce(name, req)
        fn.runtime.start()  # loaded first: the deadlines below are the guest's time alone
        started = _started(fn, ctx, deadline, where)
        try:
            return self.host.call_sync(name, args["args"], extra=req.extra, started=started)
        except DeadlineExceeded:
            if deadline is not None and deadline.remaining <= 0:
                raise RequestTimeout(deadline.message(), where=where) from None
            if ctx.due is not None and ctx.due <= time.monotonic():
                raise _caller_gone(ctx, where) from None
            raise


def _started(fn: Function, ctx: CallerContext, deadline: Deadline | None, where: str) -> float:
    """When the callee's deadline counts from: now, or earlier so that it ends by its
    caller's deadline and the request's (a deadline counts from the call's `started`)."""
    now = time.monotonic()
    ends = [e for e in (ctx.due, deadline.at if deadline else None) if e is not None]
    if not ends:
        return now
    end = min(ends)
    if end <= now:
        if deadline is not None and deadline.at <= now:
            raise RequestTimeout(deadline.message(), where=where)
        raise _caller_gone(ctx, where)
    return min(now, end - fn.runtime.spec.limits.deadline_ms / 1000)


def _caller_gone(ctx: CallerContext, where: str) -> DeadlineExceeded:
    caller = f"{ctx.runtime}.{ctx.function or '?'}"
    return DeadlineExceeded(
        f"stopped at the deadline of its caller {caller} (raise limits.deadline_ms on the "
        f"caller's runtime, {ctx.runtime}, if the work is legitimate)",
        where=where,
    )
