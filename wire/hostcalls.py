"""The hostcall router: guests reach the host through one import, `hostcall(op, json)`.

Each op has a JSON Schema for its arguments and for its result (wit/ops/<op>.json);
both are checked on every call. Errors go back to the guest as `{"message", "code"}`, with
the error's `details` when it has some (the paths of invalid arguments, say).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from .errors import WireError
from .outbound import OutboundHttp
from .paths import OPS_DIR
from .telemetry import tracing
from .validation import Validator, describe

log = logging.getLogger("wire.hostcalls")


@dataclass
class CallerContext:
    """Who is making a hostcall: passed to every op."""

    typegraph: str
    runtime: str
    function: str | None = None
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("wire.guest"))
    extra: dict[str, Any] = field(default_factory=dict)
    # When the calling guest is stopped (monotonic time; None: no deadline): an op that
    # waits (outbound HTTP, a nested call) ends by then.
    due: float | None = None
    # The HTTP hosts the calling runtime is granted (`grants.http`, for the `http` op).
    http: frozenset[str] = frozenset()


OpFn = Callable[[CallerContext, Any], Any]


@dataclass(frozen=True)
class HostcallOp:
    name: str
    fn: OpFn
    args: Validator
    result: Validator
    description: str = ""


def _error(code: str, message: str, details: Any = None) -> tuple[bool, str]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return False, orjson.dumps(error).decode()


class HostcallRegistry:
    """Ops by name. Users add their own with `register` or the `op` decorator."""

    def __init__(self) -> None:
        self._ops: dict[str, HostcallOp] = {}
        self._closers: list[Callable[[], None]] = []

    def __contains__(self, name: str) -> bool:
        return name in self._ops

    def names(self) -> list[str]:
        return sorted(self._ops)

    def get(self, name: str) -> HostcallOp | None:
        """Op `name` as registered (its function and schemas), if it is."""
        return self._ops.get(name)

    def register(
        self,
        name: str,
        fn: OpFn,
        *,
        args_schema: dict[str, Any],
        result_schema: dict[str, Any],
        description: str = "",
        replace: bool = False,
    ) -> None:
        if name in self._ops and not replace:
            raise ValueError(f"hostcall op '{name}' is already registered (pass replace=True)")
        self._ops[name] = HostcallOp(
            name, fn, Validator(args_schema), Validator(result_schema), description
        )

    def register_spec(
        self, spec: Path | dict[str, Any], fn: OpFn, *, replace: bool = False
    ) -> None:
        """Register `fn` under the op described by a spec file like wit/ops/log.json."""
        data = orjson.loads(spec.read_bytes()) if isinstance(spec, Path) else spec
        self.register(
            data["op"],
            fn,
            args_schema=data["args"],
            result_schema=data["result"],
            description=data.get("description", ""),
            replace=replace,
        )

    def op(self, name: str) -> Callable[[OpFn], OpFn]:
        """Decorator registering a function for the op specified in wit/ops/<name>.json."""

        def deco(fn: OpFn) -> OpFn:
            self.register_spec(OPS_DIR / f"{name}.json", fn)
            return fn

        return deco

    def on_close(self, fn: Callable[[], None]) -> None:
        """Run `fn` when the registry is closed (an op's connections, say)."""
        self._closers.append(fn)

    def close(self) -> None:
        """Release what the ops hold (a host closes the registry it made)."""
        closers, self._closers = self._closers, []
        for fn in closers:
            fn()

    def dispatch(self, ctx: CallerContext, name: str, args_json: str) -> tuple[bool, str]:
        """Run op `name`: (True, result JSON) or (False, error JSON `{code, message}`)."""
        op = self._ops.get(name)
        if op is None:
            known = ", ".join(self.names()) or "none"
            return _error("op_404", f"unknown hostcall op '{name}' (known ops: {known})")
        try:
            args = orjson.loads(args_json)
        except orjson.JSONDecodeError as e:
            return _error("invalid_args", f"hostcall '{name}': arguments are not JSON: {e}")
        bad = op.args.check(args)
        if bad:
            return _error("invalid_args", f"hostcall '{name}': invalid arguments: {describe(bad)}")
        try:
            if tracing.active:
                result = tracing.hostcall(op.fn, ctx, args, name)
            else:
                result = op.fn(ctx, args)
        except WireError as e:
            return _error(e.code, f"hostcall '{name}': {e}", e.details)
        except Exception as e:
            log.exception("hostcall op %r failed for %s/%s", name, ctx.typegraph, ctx.runtime)
            return _error("op_failed", f"hostcall '{name}' failed: {type(e).__name__}: {e}")
        bad = op.result.check(result)
        if bad:
            log.error("hostcall op %r returned an invalid result: %s", name, describe(bad))
            return _error("op_failed", f"hostcall '{name}': host returned an invalid result")
        return True, orjson.dumps(result).decode()


_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def _log_op(ctx: CallerContext, args: dict[str, Any]) -> None:
    ctx.logger.log(_LEVELS[args["level"]], "%s", args["message"])


def default_registry(*, http: OutboundHttp | None = None) -> HostcallRegistry:
    """A registry with wire's built-in ops: `log`, and `http` (outbound HTTP to the hosts a
    runtime is granted; `http` sets its limits, default `OutboundHttp()`)."""
    reg = HostcallRegistry()
    reg.register_spec(OPS_DIR / "log.json", _log_op)
    http = http or OutboundHttp()
    reg.register_spec(OPS_DIR / "http.json", http)
    reg.on_close(http.close)  # its pooled connections
    return reg
