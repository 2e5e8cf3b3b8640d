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
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import orjson

from typegraph import TypegraphError, model
from typegraph import load as load_typegraph
from typegraph.document import Document

from .engine import Engine, default_engine
from .errors import InputInvalid, OutputInvalid, TypegraphLoadError, UnknownFunction, WireError
from .hostcalls import HostcallRegistry, default_registry
from .runtime_kinds import (
    ComponentResolver,
    Runtime,
    RuntimeEnv,
    RuntimeKind,
    make_runtime,
    registered,
)
from .telemetry import CallTelemetry
from .validation import Validator, as_details, describe
from .workers import Workers

log = logging.getLogger("wire.host")
T = TypeVar("T")


@dataclass(frozen=True)
class Function:
    """A typegraph function as the host runs it: its runtime and its checked schemas."""

    spec: model.Function
    runtime: Runtime
    input: Validator
    output: Validator
    telemetry: CallTelemetry  # its metrics, and spans when tracing is on

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def op(self) -> str:
        return self.spec.materializer.op

    @property
    def effect(self) -> str:
        return self.spec.effect

    @property
    def exposed(self) -> bool:
        return self.spec.exposed


class Host:
    """Runs the functions of one typegraph document.

    Its runtimes are made by the runtime kinds registered (`wire.runtime_kinds`) or given
    (`kinds`); its guests' hostcall ops are those of `hostcalls` (default: `log`), plus what
    the layers above register there: a `Gateway` its `gql`, a `MessagingService` its
    messaging ops."""

    def __init__(
        self,
        document: Document | model.Model,
        base_dir: Path,
        *,
        engine: Engine | None = None,
        hostcalls: HostcallRegistry | None = None,
        max_workers: int | None = None,
        resolve_component: ComponentResolver | None = None,
        fast_path: bool | None = None,
        kinds: Mapping[str, RuntimeKind] | None = None,
    ) -> None:
        if isinstance(document, model.Model):
            tg = document
        else:
            try:
                tg = model.read(document)
            except TypegraphError as e:
                raise TypegraphLoadError(str(e), where=document.get("name")) from e
        self.typegraph = tg
        self.name = tg.name
        self.base_dir = base_dir
        self.engine = engine or default_engine()
        self._own_hostcalls = hostcalls is None  # closed with the host
        self.hostcalls = hostcalls or default_registry()
        self.workers = Workers(max_workers, name="wire-guest", where=self.name)
        env = RuntimeEnv(
            typegraph=tg,
            base_dir=base_dir,
            engine=self.engine,
            hostcalls=self.hostcalls,
            workers=self.workers.size,
            resolve_component=resolve_component,
            fast_path=fast_path,
        )
        table = registered() if kinds is None else kinds
        self.runtimes: dict[str, Runtime] = {
            name: make_runtime(spec, env, table) for name, spec in tg.runtimes.items()
        }
        self.functions: dict[str, Function] = {}
        for fn_name, fn in tg.functions.items():
            in_schema, out_schema = tg.function_schemas(fn_name)
            self.functions[fn_name] = Function(
                spec=fn,
                runtime=self.runtimes[fn.materializer.runtime],
                input=Validator(in_schema),
                output=Validator(out_schema),
                telemetry=CallTelemetry(tg.name, fn_name, fn.materializer.runtime),
            )

    @property
    def document(self) -> Document:
        """The typegraph document (its typed form is `typegraph`)."""
        return self.typegraph.document

    @classmethod
    def load(cls, path: str | Path, name: str | None = None, **kw: Any) -> Host:
        """Load a typegraph `.py` file and make a host for it."""
        path = Path(path).resolve()
        try:
            doc = load_typegraph(path, name=name)
        except TypegraphError as e:
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
            fn.telemetry.refused(InputInvalid.code)
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
        telemetry = self.function(name).telemetry
        began = telemetry.start()
        try:
            result = self._call_checked(name, in_json, extra, started)
        except BaseException as e:
            telemetry.failed(began, e)
            raise
        telemetry.done(began)
        return result

    def _call_checked(
        self, name: str, in_json: str, extra: dict[str, Any] | None, started: float | None
    ) -> Any:
        fn = self.function(name)
        where = f"{self.name}.{name}"
        out = fn.runtime.call(fn.op, in_json, function=name, extra=extra, started=started)
        try:
            result = orjson.loads(out)
        except orjson.JSONDecodeError:
            raise OutputInvalid(
                f"the guest returned something that is not JSON: {out[:80]!r}", where=where
            ) from None
        self.check_output(name, result)
        return result

    def check_output(self, name: str, result: Any) -> None:
        """`OutputInvalid` when `result` does not match function `name`'s output type."""
        bad = self.function(name).output.check(result)
        if bad:
            raise OutputInvalid(
                f"the guest's result does not match the output type: {describe(bad)}",
                where=f"{self.name}.{name}",
                details=as_details(bad),
            )

    async def call(self, name: str, args: Any, *, extra: dict[str, Any] | None = None) -> Any:
        """Like `call_sync`, on the worker pool: never runs wasm on the event loop. Fails
        with `overloaded` if it waited its whole deadline for a worker."""
        fn = self.function(name)
        started = time.monotonic()
        return await self.workers.run(
            lambda: self.call_sync(name, args, extra=extra, started=started),
            max_wait=fn.runtime.spec.limits.deadline_ms / 1000,
        )

    async def run(
        self, fn: Callable[[], T], *, max_wait_s: float | None = None, timeout: float | None = None
    ) -> T:
        """Run blocking `fn` (guest calls, say) on the worker pool, where guests run.
        `max_wait_s`: fail with `overloaded` instead of waiting longer for a worker (None:
        wait as long as it takes; each guest call then has its own deadline). `timeout`:
        `TimeoutError` once it has taken that long (the work in flight runs on)."""
        return await self.workers.run(fn, max_wait=max_wait_s, timeout=timeout)

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
        if self._own_hostcalls:
            self.hostcalls.close()

    def __enter__(self) -> Host:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
