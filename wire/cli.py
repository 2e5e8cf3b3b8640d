"""The `wire` command line: typegraph, codegen, import, build, call."""

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
    import wire_codegen

    doc = _load_document(ns.typegraph, ns.name)
    try:
        written = wire_codegen.generate(ns.language, doc, ns.runtime, Path(ns.output))
    except wire_codegen.CodegenError as e:
        raise WireError(str(e), where=ns.typegraph) from e
    for p in written:
        _progress(f"wrote {p}")
    return 0


class ImportFailed(WireError):
    code = "import_failed"


class ImportIncomplete(WireError):
    code = "import_incomplete"


def cmd_import(ns: argparse.Namespace) -> int:
    from wire_codegen import importers

    path, out = Path(ns.document), Path(ns.output) if ns.output else None
    try:
        document = importers.read_document(path)
        if ns.kind == "jsonschema":
            name = ns.name or path.stem
            result = importers.import_jsonschema(document, name=name, source_name=path.name)
        else:
            result = importers.import_openapi(document, name=ns.name, source_name=path.name)
    except importers.ImporterError as e:
        raise ImportFailed(str(e)) from e
    for issue in result.issues:
        print(f"warning: {issue}", file=sys.stderr)
    if ns.strict and result.issues:
        raise ImportIncomplete(
            f"{len(result.issues)} construct(s) cannot be expressed in a typegraph (see the "
            "warnings); nothing written",
            where=path.name,
        )
    if out is None:
        sys.stdout.write(result.source)
        return 0
    if out.exists() and not ns.force and out.read_text() != result.source:
        raise ImportFailed(f"{out} exists: pass --force to overwrite it")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(result.source)
    _progress(f"wrote {out}")
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


def cmd_serve(ns: argparse.Namespace) -> int:
    from .http import ServerConfig, serve

    config = ServerConfig.from_env(
        host=ns.host,
        port=ns.port,
        workers=ns.workers,
        max_body_bytes=ns.max_body_bytes,
        production=ns.production,
        graphiql=ns.graphiql,
        watch=ns.watch,
        broker=ns.broker,
        jwt_secret=ns.jwt_secret,
        jwt_public_key=ns.jwt_public_key,
        jwt_audience=ns.jwt_audience,
        jwt_issuer=ns.jwt_issuer,
    )
    logging.getLogger("wire.build").setLevel(logging.INFO)
    return serve([Path(p) for p in ns.typegraphs], config)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="wire", description=__doc__)
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("typegraph", help="print the serialised typegraph document")
    s.add_argument("typegraph", help="a typegraph .py file")
    s.add_argument("--name", help="which @typegraph, when the file has several")
    s.set_defaults(run=cmd_typegraph)

    s = sub.add_parser("codegen", help="write a typed guest SDK for a typegraph")
    s.add_argument("language", choices=["python", "typescript"])
    s.add_argument("typegraph")
    s.add_argument("-o", "--output", required=True, help="the guest folder to write into")
    s.add_argument("--runtime", help="which runtime's functions (default: the only one)")
    s.add_argument("--name", help="which @typegraph, when the file has several")
    s.set_defaults(run=cmd_codegen)

    s = sub.add_parser(
        "import",
        help="write typegraph source from a JSON Schema (types) or an OpenAPI document",
        description="Constructs a typegraph cannot express are warned about, by JSON pointer.",
    )
    s.add_argument("kind", choices=["jsonschema", "openapi"])
    s.add_argument("document", help="the schema or OpenAPI document (JSON, or YAML)")
    s.add_argument("-o", "--output", help="the .py file to write (default: standard output)")
    s.add_argument("--name", help="the root type's (jsonschema) or the typegraph's name")
    s.add_argument("--strict", action="store_true", help="fail, writing nothing, on a warning")
    s.add_argument("--force", action="store_true", help="overwrite an existing output file")
    s.set_defaults(run=cmd_import)

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

    s = sub.add_parser(
        "serve",
        help="serve typegraphs over HTTP: GraphQL at /<name>, GraphiQL, /health",
        description="Each flag falls back to its WIRE_* environment variable.",
    )
    s.add_argument("typegraphs", nargs="+", metavar="typegraph", help="typegraph .py files")
    s.add_argument("--host", help="address to bind (WIRE_HOST, default 127.0.0.1)")
    s.add_argument("--port", type=int, help="port, 0 for any free one (WIRE_PORT, default 7890)")
    s.add_argument("--workers", type=int, help="guest worker threads per typegraph (WIRE_WORKERS)")
    s.add_argument("--max-body-bytes", type=int, help="request size limit (WIRE_MAX_BODY_BYTES)")
    s.add_argument(
        "--production",
        action="store_true",
        default=None,
        help="mask internal errors for clients, no GraphiQL (WIRE_PRODUCTION)",
    )
    s.add_argument("--no-graphiql", dest="graphiql", action="store_false", default=None)
    s.add_argument(
        "--watch",
        action="store_true",
        default=None,
        help="reload a typegraph (rebuilding its guest) when its files change (WIRE_WATCH)",
    )
    s.add_argument(
        "--broker",
        help="where the typegraphs' channels run: memory:// (embedded, the default), "
        "nats://, amqp://, redis://, mqtt:// (WIRE_BROKER)",
    )
    s.add_argument("--jwt-secret", help="HS256 key (prefer WIRE_JWT_SECRET: flags show in ps)")
    s.add_argument("--jwt-public-key", help="RS256 public key: PEM file (WIRE_JWT_PUBLIC_KEY)")
    s.add_argument("--jwt-audience", help="required `aud` claim (WIRE_JWT_AUDIENCE)")
    s.add_argument("--jwt-issuer", help="required `iss` claim (WIRE_JWT_ISSUER)")
    s.set_defaults(run=cmd_serve)

    from .messaging.cli import add_commands as add_messaging_commands

    add_messaging_commands(sub)
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
