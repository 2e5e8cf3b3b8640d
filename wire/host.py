"""The host: a typegraph document turned into callable functions backed by guests.

`call_sync` runs on the calling thread (never call it from an event loop);
`await call(...)` runs the guest on the worker pool. Arguments are checked against the
function's input schema before the guest runs, the result against its output schema
after: bad input never reaches a guest, a bad result never reaches a caller.

A call's deadline (its runtime's deadline_ms) is wall-clock time from the moment the host
takes the call: waiting for a worker, waiting under the runtime's concurrency limit and
running the guest all count. A call that waited its whole deadline fails with
`overloaded` before it runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from .engine import Engine, default_engine
from .errors import InputInvalid, OutputInvalid, TypegraphLoadError, UnknownFunction, WireError
from .hostcalls import CallerContext, HostcallRegistry, default_registry
from .paths import OPS_DIR
from .protocol import MatInfo
from .runtime import ComponentResolver, GuestRuntime, RuntimeSpec
from .validation import Validator, as_details, describe
from .workers import Workers

if TYPE_CHECKING:
    from .graphql import Gateway
    from .messaging.native import NativeRuntime

log = logging.getLogger("wire.host")
T = TypeVar("T")


@dataclass(frozen=True)
class Function:
    """A typegraph function as the host runs it."""

    name: str
    runtime: GuestRuntime | NativeRuntime
    op: str
    effect: str
    exposed: bool
    input: Validator
    output: Validator


class Host:
    """Runs the functions of one typegraph document."""

    def __init__(
        self,
        document: dict[str, Any],
        base_dir: Path,
        *,
        engine: Engine | None = None,
        hostcalls: HostcallRegistry | None = None,
        max_workers: int | None = None,
        resolve_component: ComponentResolver | None = None,
        fast_path: bool | None = None,
    ) -> None:
        import typegraph  # the document's own validation and schema derivation

        try:
            typegraph.validate_document(document)
        except typegraph.TypegraphError as e:
            raise TypegraphLoadError(str(e), where=document.get("name")) from e
        self.document = document
        self.name: str = document["name"]
        self.base_dir = base_dir
        self.engine = engine or default_engine()
        self.hostcalls = hostcalls or default_registry()
        self.workers = Workers(max_workers, name="wire-guest", where=self.name)
        self.runtimes: dict[str, GuestRuntime | NativeRuntime] = {}
        mats = document["materializers"]
        for rt_name, entry in document["runtimes"].items():
            if entry.get("kind") == "messaging":  # a wasi:/wasmcloud:messaging component
                from .messaging.native import WORLDS, NativeRuntime

                self.runtimes[rt_name] = NativeRuntime(
                    RuntimeSpec.from_document(rt_name, entry),
                    WORLDS[entry["world"]],
                    typegraph=self.name,
                    base_dir=base_dir,
                    engine=self.engine,
                    resolve_component=resolve_component,
                )
                continue
            ops = [
                MatInfo(m["op"], m.get("title", m["op"]), m.get("data", {}))
                for m in mats.values()
                if m["runtime"] == rt_name
            ]
            self.runtimes[rt_name] = GuestRuntime(
                RuntimeSpec.from_document(rt_name, entry),
                typegraph=self.name,
                base_dir=base_dir,
                ops=ops,
                engine=self.engine,
                hostcalls=self.hostcalls,
                resolve_component=resolve_component,
                fast_path=fast_path,
                workers=self.workers.size,
            )
        self.functions: dict[str, Function] = {}
        for fn_name, fn in document["functions"].items():
            mat = mats[fn["materializer"]]
            in_schema, out_schema = typegraph.function_schemas(document, fn_name)
            self.functions[fn_name] = Function(
                name=fn_name,
                runtime=self.runtimes[mat["runtime"]],
                op=mat["op"],
                effect=fn.get("effect", "read"),
                exposed=bool(fn.get("exposed", False)),
                input=Validator(in_schema),
                output=Validator(out_schema),
            )
        self._gateway_lock = threading.Lock()
        self._gateway: Gateway | None = None
        if "gql" not in self.hostcalls:
            self.hostcalls.register_spec(OPS_DIR / "gql.json", self._gql_in_process)

    def _gql_in_process(self, ctx: CallerContext, args: dict[str, Any]) -> Any:
        """`gql` for a host no gateway serves yet (`wire call`, `Host.call_sync`): the
        typegraph's GraphQL schema is built on first use and answers in-process (a
        `Gateway` made later, by `wire serve`, takes the op over)."""
        with self._gateway_lock:
            if self._gateway is None:
                from .graphql import Gateway

                self._gateway = Gateway(self)
        return self._gateway.gql_op(ctx, args)

    @classmethod
    def load(cls, path: str | Path, name: str | None = None, **kw: Any) -> Host:
        """Load a typegraph `.py` file and make a host for it."""
        import typegraph

        path = Path(path).resolve()
        try:
            doc = typegraph.load(path, name=name)
        except typegraph.TypegraphError as e:
            raise TypegraphLoadError(str(e), where=str(path)) from e
        return cls(doc, path.parent, **kw)

    # -- calls -------------------------------------------------------------------

    def function(self, name: str) -> Function:
        try:
            return self.functions[name]
        except KeyError:
            known = ", ".join(sorted(self.functions)) or "none"
            raise UnknownFunction(
                f"no function '{name}' in typegraph '{self.name}' (functions: {known})",
                where=self.name,
            ) from None

    def call_sync(
        self,
        name: str,
        args: Any,
        *,
        extra: dict[str, Any] | None = None,
        started: float | None = None,
    ) -> Any:
        """Check `args`, run the guest on this thread, check and return its result. The
        deadline counts from `started` (`time.monotonic()`; default: now)."""
        fn = self.function(name)
        where = f"{self.name}.{name}"
        bad = fn.input.check(args)
        if bad:
            raise InputInvalid(
                f"invalid arguments: {describe(bad)}",
                where=where,
                details=as_details(bad),
            )
        return self.call_checked(name, orjson.dumps(args).decode(), extra=extra, started=started)

    def call_checked(
        self,
        name: str,
        in_json: str,
        *,
        extra: dict[str, Any] | None = None,
        started: float | None = None,
    ) -> Any:
        """`call_sync` for arguments already checked against the function's input schema
        and serialised as `in_json` (a message whose channel type is that schema)."""
        fn = self.function(name)
        where = f"{self.name}.{name}"
        out = fn.runtime.call(fn.op, in_json, function=name, extra=extra, started=started)
        try:
            result = orjson.loads(out)
        except orjson.JSONDecodeError:
            raise OutputInvalid(
                f"the guest returned something that is not JSON: {out[:80]!r}", where=where
            ) from None
        bad = fn.output.check(result)
        if bad:
            raise OutputInvalid(
                f"the guest's result does not match the output type: {describe(bad)}",
                where=where,
                details=as_details(bad),
            )
        return result

    async def call(self, name: str, args: Any, *, extra: dict[str, Any] | None = None) -> Any:
        """Like `call_sync`, on the worker pool: never runs wasm on the event loop. Fails
        with `overloaded` if it waited its whole deadline for a worker."""
        fn = self.function(name)
        started = time.monotonic()
        return await self.workers.run(
            lambda: self.call_sync(name, args, extra=extra, started=started),
            max_wait=fn.runtime.spec.limits.deadline_ms / 1000,
        )

    async def run(self, fn: Callable[[], T], *, max_wait_s: float | None = None) -> T:
        """Run blocking `fn` (guest calls, say) on the worker pool, where guests run.
        `max_wait_s`: fail with `overloaded` instead of waiting longer for a worker (None:
        wait as long as it takes; each guest call then has its own deadline)."""
        return await self.workers.run(fn, max_wait=max_wait_s)

    def start(self) -> dict[str, WireError | None]:
        """Start every runtime now; return each runtime's start error (None when fine)."""
        errors: dict[str, WireError | None] = {}
        for name, rt in self.runtimes.items():
            try:
                rt.start()
                errors[name] = None
            except WireError as e:
                errors[name] = e
        return errors

    def close(self) -> None:
        self.workers.close(wait=True)
        for rt in self.runtimes.values():
            rt.close()

    def __enter__(self) -> Host:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
