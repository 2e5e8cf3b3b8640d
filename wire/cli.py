"""The `wire` command line: typegraph, codegen, import, build, call, serve, asyncapi (and
the messaging commands of `wire.messaging.cli`)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from . import console, processes
from .errors import ImportFailed, ImportIncomplete, TypegraphLoadError, WireError
from .telemetry import tracing

if TYPE_CHECKING:
    from .graphql import Gateway

log = logging.getLogger("wire.cli")


def _progress(msg: str) -> None:
    console.say(msg)


def _load_document(path: str, name: str | None) -> dict[str, Any]:
    import typegraph

    try:
        doc: dict[str, Any] = typegraph.load(Path(path), name=name)
    except typegraph.TypegraphError as e:
        raise TypegraphLoadError(str(e), where=path) from e
    return doc


def cmd_typegraph(ns: argparse.Namespace) -> int:
    doc = _load_document(ns.typegraph, ns.name)
    sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


def cmd_asyncapi(ns: argparse.Namespace) -> int:
    from .asyncapi import asyncapi
    from .messaging.connect import broker_url

    doc = _load_document(ns.typegraph, ns.name)
    out = asyncapi(doc, broker_url(ns.broker))
    sys.stdout.write(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode() + "\n")
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


def cmd_import(ns: argparse.Namespace) -> int:
    from wire_codegen import importers

    path, out = Path(ns.document), Path(ns.output) if ns.output else None
    if ns.kind != "openapi" and (ns.http or ns.base_url):
        raise ImportFailed("--http and --base-url are for `wire import openapi`")
    if ns.http and out is None:
        raise ImportFailed("--http writes the forwarding guest next to the typegraph: give -o")
    if ns.base_url and not ns.http:
        raise ImportFailed("--base-url is where --http forwards the calls: add --http")
    try:
        document = importers.read_document(path)
        if ns.kind == "jsonschema":
            name = ns.name or path.stem
            result = importers.import_jsonschema(document, name=name, source_name=path.name)
        else:
            result = importers.import_openapi(
                document,
                name=ns.name,
                source_name=path.name,
                http=ns.http,
                base_url=ns.base_url,
            )
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
    files = {out: result.source} | {out.parent / rel: text for rel, text in result.files.items()}
    for file, text in files.items():  # nothing is written unless all of it may be
        if file.exists() and not ns.force and file.read_text() != text:
            raise ImportFailed(f"{file} exists: pass --force to overwrite it")
    for file, text in files.items():
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text)
        _progress(f"wrote {file}")
    return 0


def cmd_build(ns: argparse.Namespace) -> int:
    from .build import build_guest

    out = build_guest(Path(ns.guest), force=ns.force)  # its steps show the progress
    print(out)
    return 0


def cmd_call(ns: argparse.Namespace) -> int:
    from .graphql import Gateway

    try:
        args = orjson.loads(ns.args)
    except orjson.JSONDecodeError as e:
        raise WireError(f"the arguments are not valid JSON: {e}", where="wire call") from e
    tracing.configure_from_env()
    # A gateway serves the guests' `gql` op (the schema is built once, in-process).
    gateway = Gateway.load(ns.typegraph, name=ns.name)
    with gateway.host as host:
        if not ns.trusted and ns.function in host.functions:
            _authorize_anonymous(gateway, ns.function)
        result = host.call_sync(ns.function, args)
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    return 0


def _authorize_anonymous(gateway: Gateway, function: str) -> None:
    """`wire call` without `--trusted` is an anonymous client: the function's policies
    decide, as they would over HTTP without credentials."""
    from .graphql import ANONYMOUS, PolicyDenied, Request

    try:
        gateway.policies.enforce_exposed(function, Request(ANONYMOUS, sync=True))
    except PolicyDenied as e:
        raise PolicyDenied(
            f"{e.message} (wire call runs as an anonymous client; --trusted runs it as "
            "the operator, without policies)",
            where=e.where,
            details=e.details,
        ) from None


def _processes(ns: argparse.Namespace) -> int:
    """How many processes `--processes` / `WIRE_PROCESSES` asks for (1 in a child)."""
    if processes.index() is not None:
        return 1
    raw = ns.processes if ns.processes is not None else os.environ.get("WIRE_PROCESSES", "1")
    try:
        n = int(raw)
    except ValueError:
        raise WireError(f"--processes must be a number, got {raw!r}", where="wire") from None
    if n < 1:
        raise WireError("--processes must be at least 1", where="wire")
    return n


def _as_processes(n: int, argv: list[str]) -> int:
    return processes.run(n, processes.strip_flag(argv, "--processes"))


def cmd_serve(ns: argparse.Namespace) -> int:
    from .http import ServerConfig, serve

    tracing.configure_from_env()
    config = ServerConfig.from_env(
        host=ns.host,
        port=ns.port,
        workers=ns.workers,
        max_body_bytes=ns.max_body_bytes,
        production=ns.production,
        graphiql=ns.graphiql,
        watch=ns.watch,
        broker=ns.broker,
        header_timeout_s=ns.header_timeout,
        body_timeout_s=ns.body_timeout,
        max_depth=ns.max_depth,
        max_aliases=ns.max_aliases,
        max_fields=ns.max_fields,
        max_repeats=ns.max_repeats,
        max_tokens=ns.max_tokens,
        request_timeout_s=ns.request_timeout,
        subscription_backlog=ns.subscription_backlog,
        jwt_secret=ns.jwt_secret,
        jwt_public_key=ns.jwt_public_key,
        jwt_audience=ns.jwt_audience,
        jwt_issuer=ns.jwt_issuer,
    )
    n = _processes(ns)
    pin = processes.pin_wanted(ns.pin)
    if n > 1:
        from .http.serve import bind

        # The port is fixed here (`--port 0` picks it once), then shared by the processes.
        probe = bind(config.host, config.port, shared=True)
        port = probe.getsockname()[1]
        try:
            argv = [*_argv_without(ns, "--port"), "--port", str(port)]
            return _as_processes(n, argv)
        finally:
            probe.close()
    processes.apply_pin(pin)
    return serve([Path(p) for p in ns.typegraphs], config)


def _argv_without(ns: argparse.Namespace, flag: str) -> list[str]:
    return processes.strip_flag(ns.argv, flag)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="wire", description=__doc__)
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    p.add_argument("-V", "--version", action="version", version=version())
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("typegraph", help="print the serialised typegraph document")
    s.add_argument("typegraph", help="a typegraph .py file")
    s.add_argument("--name", help="which @typegraph, when the file has several")
    s.set_defaults(run=cmd_typegraph)

    s = sub.add_parser(
        "asyncapi",
        help="print the AsyncAPI 3.0 document of a typegraph's channels",
        description="The channels, their message schemas and what the typegraph's handlers, "
        "responders, guests and GraphQL fields do on them, on the broker of --broker "
        "(also served at /<name>/asyncapi.json by wire serve).",
    )
    s.add_argument("typegraph", help="a typegraph .py file")
    s.add_argument("--broker", help="the server: a broker URL (WIRE_BROKER, default memory://)")
    s.add_argument("--name", help="which @typegraph, when the file has several")
    s.set_defaults(run=cmd_asyncapi)

    s = sub.add_parser("codegen", help="write a typed guest SDK, or a client SDK, for a typegraph")
    s.add_argument(
        "language", choices=["python", "typescript", "client-python", "client-typescript"]
    )
    s.add_argument("typegraph")
    s.add_argument("-o", "--output", required=True, help="the folder to write into")
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
    s.add_argument(
        "--http",
        action="store_true",
        help="openapi: forward each call to the service (writes the guest http_guest/ next to -o)",
    )
    s.add_argument("--base-url", help="with --http: the service's URL (default: its first server)")
    s.set_defaults(run=cmd_import)

    s = sub.add_parser("build", help="build a guest folder into a component (cached)")
    s.add_argument("guest")
    s.add_argument("--force", action="store_true", help="rebuild even when up to date")
    s.set_defaults(run=cmd_build)

    s = sub.add_parser(
        "call",
        help="call a function of a typegraph and print its JSON result",
        description="Runs the function in this process as an anonymous client would call "
        "it over GraphQL: it must be exposed, and its policies apply (a denied call runs "
        "nothing and fails with policy_denied). --trusted runs it as the operator instead.",
    )
    s.add_argument("typegraph")
    s.add_argument("function")
    s.add_argument("args", nargs="?", default="{}", help="JSON arguments (default: {})")
    s.add_argument("--name", help="which @typegraph, when the file has several")
    s.add_argument(
        "--trusted",
        action="store_true",
        help="the operator's path: any function of the typegraph (exposed or not, a "
        "channel handler too), no policies",
    )
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
    s.add_argument(
        "--processes",
        help="serve from N processes sharing the port, to use N cores (WIRE_PROCESSES, "
        "default 1; channels then need a shared broker)",
    )
    processes.add_pin_flag(s)
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
    limits = s.add_argument_group(
        "limits", "what a client may cost; a request over one gets a clear error code"
    )
    limits.add_argument(
        "--max-depth", type=int, help="nested field levels of a query (WIRE_MAX_DEPTH, 15)"
    )
    limits.add_argument(
        "--max-aliases", type=int, help="aliased fields of a query (WIRE_MAX_ALIASES, 50)"
    )
    limits.add_argument(
        "--max-fields",
        type=int,
        help="fields a query selects, fragments counted at each use (WIRE_MAX_FIELDS, 1000)",
    )
    limits.add_argument(
        "--max-repeats",
        type=int,
        help="fields sharing one response name in one selection set (WIRE_MAX_REPEATS, 50)",
    )
    limits.add_argument(
        "--max-tokens", type=int, help="lexical tokens of a query (WIRE_MAX_TOKENS, 10000)"
    )
    limits.add_argument(
        "--request-timeout",
        type=float,
        metavar="S",
        help="seconds a query or mutation may run (WIRE_REQUEST_TIMEOUT_S, 30)",
    )
    limits.add_argument(
        "--subscription-backlog",
        type=int,
        metavar="N",
        help="messages kept for a slow subscriber; older ones are dropped with a notice "
        "(WIRE_SUBSCRIPTION_BACKLOG, 1000)",
    )
    limits.add_argument(
        "--header-timeout",
        type=float,
        metavar="S",
        help="seconds a client has to send a request's head (WIRE_HEADER_TIMEOUT_S, 10)",
    )
    limits.add_argument(
        "--body-timeout",
        type=float,
        metavar="S",
        help="seconds a client has to send a request's body (WIRE_BODY_TIMEOUT_S, 30)",
    )
    s.add_argument("--jwt-secret", help="HS256 key (prefer WIRE_JWT_SECRET: flags show in ps)")
    s.add_argument("--jwt-public-key", help="RS256 public key: PEM file (WIRE_JWT_PUBLIC_KEY)")
    s.add_argument("--jwt-audience", help="required `aud` claim (WIRE_JWT_AUDIENCE)")
    s.add_argument("--jwt-issuer", help="required `iss` claim (WIRE_JWT_ISSUER)")
    s.set_defaults(run=cmd_serve)

    from .messaging.cli import add_commands as add_messaging_commands

    add_messaging_commands(sub)
    return p


def version() -> str:
    """wire's version and the wasmtime it runs guests on."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    def of(package: str) -> str:
        try:
            return installed(package)
        except PackageNotFoundError:
            return "not installed"

    return f"wire {of('wire')} (wasmtime {of('wasmtime')}, Python {sys.version.split()[0]})"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ns = parser().parse_args(argv)
    ns.argv = argv
    console.setup(ns.verbose)
    return console.run(lambda: int(ns.run(ns)), ns.verbose)


if __name__ == "__main__":
    sys.exit(main())
