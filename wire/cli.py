"""The `wire` command line: typegraph, codegen, build, call."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

import orjson

from .errors import WireError

log = logging.getLogger("wire.cli")


def _progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _load_document(path: str, name: str | None) -> dict[str, Any]:
    import typegraph

    try:
        doc: dict[str, Any] = typegraph.load(Path(path), name=name)
    except typegraph.TypegraphError as e:
        raise WireError(str(e), where=path) from e
    return doc


def cmd_typegraph(ns: argparse.Namespace) -> int:
    doc = _load_document(ns.typegraph, ns.name)
    sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


def cmd_codegen(ns: argparse.Namespace) -> int:
    from wire_codegen import python as py_codegen

    doc = _load_document(ns.typegraph, ns.name)
    written = py_codegen.generate(doc, ns.runtime, Path(ns.output))
    for p in written:
        _progress(f"wrote {p}")
    return 0


def cmd_build(ns: argparse.Namespace) -> int:
    from .build import build_guest

    out = build_guest(Path(ns.guest), progress=_progress, force=ns.force)
    print(out)
    return 0


def cmd_call(ns: argparse.Namespace) -> int:
    from .host import Host

    try:
        args = orjson.loads(ns.args)
    except orjson.JSONDecodeError as e:
        raise WireError(f"the arguments are not valid JSON: {e}", where="wire call") from e
    logging.getLogger("wire.build").setLevel(logging.INFO)
    with Host.load(ns.typegraph, name=ns.name) as host:
        result = host.call_sync(ns.function, args)
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="wire", description=__doc__)
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("typegraph", help="print the serialised typegraph document")
    s.add_argument("typegraph", help="a typegraph .py file")
    s.add_argument("--name", help="which @typegraph, when the file has several")
    s.set_defaults(run=cmd_typegraph)

    s = sub.add_parser("codegen", help="write a typed guest SDK for a typegraph")
    s.add_argument("language", choices=["python"])
    s.add_argument("typegraph")
    s.add_argument("-o", "--output", required=True, help="the guest folder to write into")
    s.add_argument("--runtime", help="which runtime's functions (default: the only one)")
    s.add_argument("--name", help="which @typegraph, when the file has several")
    s.set_defaults(run=cmd_codegen)

    s = sub.add_parser("build", help="build a guest folder into a component (cached)")
    s.add_argument("guest")
    s.add_argument("--force", action="store_true", help="rebuild even when up to date")
    s.set_defaults(run=cmd_build)

    s = sub.add_parser("call", help="call a function of a typegraph and print its JSON result")
    s.add_argument("typegraph")
    s.add_argument("function")
    s.add_argument("args", nargs="?", default="{}", help="JSON arguments (default: {})")
    s.add_argument("--name", help="which @typegraph, when the file has several")
    s.set_defaults(run=cmd_call)
    return p


def main(argv: list[str] | None = None) -> int:
    ns = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if ns.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(ns.run(ns))
    except WireError as e:
        print(f"error [{e.code}]: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
