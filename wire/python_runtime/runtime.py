"""The `python` runtime kind: inline Python functions, run by wire's Python runtime
component. It is a wit-wire runtime like any other (instances, limits, hostcalls, schema
checks), whose component is wire's own and whose ops carry their source."""

from __future__ import annotations

import dataclasses

from typegraph import model

from ..runtime import GuestRuntime
from ..runtime_kinds import RuntimeEnv
from .component import runtime_component


class InlinePythonRuntime(GuestRuntime):
    """A `GuestRuntime` over the inline Python runtime's component."""

    @classmethod
    def for_host(cls, spec: model.Runtime, env: RuntimeEnv) -> InlinePythonRuntime:
        return cls(
            spec,
            typegraph=env.typegraph.name,
            base_dir=env.base_dir,
            ops=titled_ops(env.typegraph, spec.name),
            engine=env.engine,
            hostcalls=env.hostcalls,
            resolve_component=runtime_component,
            fast_path=env.fast_path,
            workers=env.workers,
        )


def titled_ops(tg: model.Model, runtime: str) -> list[model.Materializer]:
    """The runtime's materializers, each titled with the names of the functions it backs:
    the component's errors name the function as the typegraph does (`function add`)."""
    names: dict[str, list[str]] = {}
    for fn in tg.functions.values():
        names.setdefault(fn.materializer.id, []).append(fn.name)
    return [
        dataclasses.replace(m, title=", ".join(names[m.id])) if m.id in names else m
        for m in tg.materializers_of(runtime)
    ]
