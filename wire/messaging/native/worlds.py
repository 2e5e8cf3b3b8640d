"""The messaging worlds the host implements, and which of them a component is written for."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import wasmtime
from wasmtime.component import Component, Instance, Linker

from ...engine import Engine
from ...paths import WIT_DIR
from . import wasi, wasi_consumer, wasmcloud
from .exports import Handle


@dataclass(frozen=True)
class World:
    """A messaging world the host implements: how to link it and find its handler."""

    name: str  # the document's `world`, e.g. "wasi:messaging@0.2.0-draft"
    export: str  # the handler function, for messages and errors
    exports: str  # the interface its components export: tells worlds sharing a name apart
    source_class: str  # the class componentize-py wants in app.py for that export
    wit_dir: Path  # the WIT package guest source folders are built against
    build_world: str  # the world they are built for
    link: Callable[[Linker], None]
    bind: Callable[[wasmtime.Store, Instance, str], Handle] | None = None
    # The first wasi draft: `configure`, then `handler` with a batch of messages.
    bind_guest: Callable[[wasmtime.Store, Instance, str], wasi_consumer.Guest] | None = None

    @property
    def batched(self) -> bool:
        return self.bind_guest is not None


_WASI = World(
    wasi.WORLD,
    "handle",
    wasi.EXPORTS,
    "IncomingHandler",
    WIT_DIR / "messaging" / "wasi",
    "messaging-request-reply",
    wasi.link,
    wasi.bind,
)
_WASI_CONSUMER = World(
    wasi_consumer.WORLD,
    "handler",
    wasi_consumer.EXPORTS,
    "MessagingGuest",
    WIT_DIR / "messaging" / "wasi-consumer",
    "messaging",
    wasi_consumer.link,
    bind_guest=wasi_consumer.bind,
)
_WASMCLOUD = World(
    wasmcloud.WORLD,
    "handle-message",
    wasmcloud.EXPORTS,
    "Handler",
    WIT_DIR / "messaging" / "wasmcloud",
    "handler-component",
    wasmcloud.link,
    wasmcloud.bind,
)
# The worlds of each document `world`. Both wasi:messaging drafts carry the same version:
# a component is of the one whose interface it exports (a source folder: whose export
# class its app.py defines); the first listed is the default.
WORLDS: dict[str, tuple[World, ...]] = {
    wasi.WORLD: (_WASI, _WASI_CONSUMER),
    wasmcloud.WORLD: (_WASMCLOUD,),
}


def world_of_component(worlds: tuple[World, ...], component: Component, engine: Engine) -> World:
    """The world among `worlds` whose interface `component` exports (else the first: its
    handler is then reported missing when an instance binds it)."""
    exported = component.type.exports(engine.wasm)
    return next((w for w in worlds if w.exports in exported), worlds[0])


def world_of_source(worlds: tuple[World, ...], folder: Path) -> World:
    """The world among `worlds` whose export class the guest folder's app module defines at
    its top level (else the first: componentize-py then names the class it misses)."""
    app = folder / "app.py"
    if not app.is_file():
        app = folder / "app" / "__init__.py"
    try:
        tree = ast.parse(app.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return worlds[0]  # the build reports it
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update(a.asname or a.name for a in node.names)
    return next((w for w in worlds if w.source_class in names), worlds[0])
