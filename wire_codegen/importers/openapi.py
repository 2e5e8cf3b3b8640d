"""`wire import openapi`: an OpenAPI 3.0/3.1 document → a typegraph module.

The component schemas become named types (`schema.SchemaConverter`); each operation becomes
a function: its path and query parameters and its JSON request body (field ``body``) make
the input struct, its first 2xx response's JSON schema the output (``t.boolean()`` when it
has no content). The functions are ops of one runtime the user implements (``guest``),
named after their ``operationId`` (else method and path), exposed with
``Policy.public()`` and an effect from the method (GET read, POST create, PUT/PATCH update,
DELETE delete).

With ``http=True`` (``wire import openapi --http``) the functions are ops of a guest that
forwards each call to the service through the ``http`` hostcall op instead
(``templates/http_guest.py.txt``, written next to the typegraph as ``http_guest/app.py``):
each op's data says how its input travels over HTTP (method, URL template, which input field
is which path or query parameter, the body and its media type, the response's), from
`Operation`; the runtime is granted the service's host (``BASE_URL``: ``base_url``, else the
document's first server).
"""

from __future__ import annotations

import dataclasses
import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from typegraph.errors import TypegraphError
from typegraph.func import Effect
from typegraph.names import unique_name
from typegraph.types import Boolean, Struct, Type

from . import source
from .check import BUG, import_checked, run_source
from .documents import ImporterError, escape, pointer, resolve_pointer
from .emit import TypeWriter, dropped_message, place
from .issues import Issue, Issues
from .result import ImportResult
from .schema import Defaults, SchemaConverter
from .source import Arg, Atom, Call, Expr, Str, call, dict_of, literal

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
EFFECTS: dict[str, Effect] = {
    "get": "read",
    "head": "read",
    "options": "read",
    "trace": "read",
    "post": "create",
    "put": "update",
    "patch": "update",
    "delete": "delete",
}
FORM_MEDIA = ("application/x-www-form-urlencoded", "multipart/form-data")
RUNTIME = "guest"
_MODULE_NAMES = ("Graph", "Policy", "WireRuntime", "t", "typegraph")
HTTP_GUEST = "http_guest"  # the forwarding guest's folder, next to the typegraph
_HTTP_NAMES = ("BASE_URL", "urlsplit")
_HTTP_TEMPLATE = Path(__file__).parent / "templates" / "http_guest.py.txt"


@dataclass(frozen=True)
class Parameter:
    """An input field that travels as an HTTP parameter: ``name`` in ``location``."""

    field: str
    name: str
    location: str  # path | query


@dataclass
class Operation:
    function: str
    method: str
    path: str
    pointer: str
    input: Struct
    output: Type
    description: str | None = None
    parameters: list[Parameter] = field(default_factory=list)
    body: str | None = None  # the input field holding the request body
    body_media: str | None = None
    response_media: str | None = None

    @property
    def effect(self) -> Effect:
        return EFFECTS[self.method]


@dataclass
class _Imported:
    converter: SchemaConverter
    operations: list[Operation]

    @property
    def roots(self) -> Sequence[Type]:
        return [t for op in self.operations for t in (op.input, op.output)]


def import_openapi(
    spec: Any,
    *,
    name: str | None,
    source_name: str,
    http: bool = False,
    base_url: str | None = None,
) -> ImportResult:
    """The typegraph of the OpenAPI document ``spec``, named ``name`` (default: from its
    title). ``source_name`` names the document in the module's docstring. ``http``: the
    functions forward each call to the service at ``base_url`` (default: the document's
    first server), and the result's ``files`` holds the forwarding guest."""
    _check_version(spec, source_name)
    info = spec.get("info") if isinstance(spec.get("info"), dict) else {}
    title: str = info["title"] if isinstance(info.get("title"), str) else ""
    graph = _graph_name(name if name is not None else title)
    service = _base_url(spec, base_url, source_name) if http else None
    imported = import_checked(lambda defaults: _Reader(spec, defaults).read())
    conv, operations = imported.converter, imported.operations
    reserved = {*_MODULE_NAMES, *(_HTTP_NAMES if http else ()), graph}
    writer = TypeWriter(conv.types, reserved=reserved, pointers=conv.pointers)
    owners = {f"type {n}": p for n, p in conv.pointers.items()}
    owners |= {f"function {op.function}": op.pointer for op in operations}
    placed, rest = place(conv.issues.items, owners)

    version = info.get("version")
    about = f"{title} {version}".strip() if isinstance(version, str) else title
    if service is None:
        lines = source.docstring(
            f"{about or 'The API'}: a typegraph imported from {source_name} by "
            "`wire import openapi`.\n\n"
            f"Each function is an op of the runtime `{RUNTIME}` for you to implement: "
            f"`wire codegen python <this file> -o {RUNTIME}` writes its typed SDK and "
            f"{RUNTIME}/app.py, where the handlers go." + _servers(spec)
        )
    else:
        lines = source.docstring(
            f"{about or 'The API'}: a typegraph imported from {source_name} by "
            "`wire import openapi --http`.\n\n"
            "Each function forwards its call to the service at BASE_URL through the `http` "
            f"hostcall op: the guest in {HTTP_GUEST}/ (next to this file, the same for every "
            "typegraph imported this way) makes the request its op's data describes. "
            "`wire serve <this file>` serves the service as a GraphQL API."
        )
        lines += ["", "from urllib.parse import urlsplit"]
    lines += ["", "from typegraph import Graph, Policy, WireRuntime, t, typegraph"]
    if service is not None:
        lines += ["", "# The service (--base-url, else the document's first server)."]
        lines += source.layout(Str(service), 0, "BASE_URL = ")
    if rest:
        lines += ["", *(c for issue in rest for c in source.comment_lines(str(issue)))]
    by_type = {n[5:]: v for n, v in placed.items() if n.startswith("type ")}
    lines += writer.definitions(by_type, entries=imported.roots)
    lines += ["", "", "@typegraph()", f"def {graph}(g: Graph) -> None:"]
    if service is None:
        lines.append(f'    {RUNTIME} = WireRuntime("{RUNTIME}")')
    else:
        lines.append(
            f'    {RUNTIME} = WireRuntime("{HTTP_GUEST}", http=[urlsplit(BASE_URL).netloc])'
        )
    writer.begin(imported.roots, "")
    args = [Arg(call("Policy.public"))]
    for op in operations:
        writer.owner = op.pointer
        func = _function(op, writer, http=service is not None)
        notes = [str(i) for i in placed.get(f"function {op.function}", ())]
        notes += [str(Issue(o, dropped_message(t))) for o, t in writer.dropped if o == op.pointer]
        args.append(_function_arg(op, func, tuple(notes)))
    lines += source.layout(Call("g.expose", tuple(args)), 4)
    text = "\n".join(lines) + "\n"
    built = run_source(text)[graph]
    try:
        built.document()
    except TypegraphError as e:
        raise ImporterError(
            f"{source_name}: the imported typegraph does not load ({e}); {BUG}"
        ) from None
    dropped = [Issue(conv.pointers.get(o, o), dropped_message(t)) for o, t in writer.dropped]
    files = {f"{HTTP_GUEST}/app.py": _HTTP_TEMPLATE.read_text()} if service is not None else {}
    return ImportResult(text, [*conv.issues.items, *dropped], graph, files)


def _check_version(spec: Any, source_name: str) -> None:
    if not isinstance(spec, dict):
        raise ImporterError(f"{source_name}: not an OpenAPI document (not an object)")
    if "swagger" in spec:
        raise ImporterError(
            f"{source_name}: OpenAPI 2.0 (Swagger) is not supported: convert it to OpenAPI 3 first"
        )
    version = spec.get("openapi")
    if not isinstance(version, str):
        raise ImporterError(
            f"{source_name}: not an OpenAPI document: no `openapi` version"
            + (" (a JSON Schema? use wire import jsonschema)" if "$schema" in spec else "")
        )
    if not re.match(r"3\.[01](\.|$)", version):
        raise ImporterError(f"{source_name}: OpenAPI {version} is not supported: 3.0 and 3.1 are")


def _graph_name(title: str) -> str:
    """A typegraph (and Python function) name from the API's title."""
    name = re.sub(r"[^A-Za-z0-9]+", "_", title).strip("_").lower() or "api"
    if name[0].isdigit() or keyword.iskeyword(name) or name in _MODULE_NAMES:
        name = f"api_{name}"
    return name


def _servers(spec: dict[str, Any]) -> str:
    servers = spec.get("servers")
    urls = [
        s["url"] for s in servers or () if isinstance(s, dict) and isinstance(s.get("url"), str)
    ]
    return f"\n\nThe API's server: {', '.join(urls)}." if urls else ""


def _base_url(spec: dict[str, Any], given: str | None, source_name: str) -> str:
    """The service's absolute URL: `given`, else the first server's (its variables set to
    their defaults)."""
    url = given
    if url is None:
        servers = spec.get("servers")
        first = servers[0] if isinstance(servers, list) and servers else None
        url = first.get("url") if isinstance(first, dict) else None
        variables = first.get("variables") if isinstance(first, dict) else None
        if isinstance(url, str) and isinstance(variables, dict):
            for key, var in variables.items():
                if isinstance(var, dict) and isinstance(var.get("default"), str):
                    url = url.replace("{" + key + "}", var["default"])
        if not isinstance(url, str):
            raise ImporterError(
                f"{source_name}: no server to forward the calls to: give one with --base-url"
            )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or "{" in url:
        where = "--base-url" if given is not None else "the document's first server"
        raise ImporterError(
            f"{source_name}: {where} {url!r} is not an absolute http(s) URL: give the "
            "service's with --base-url (e.g. https://api.example.com/v1)"
        )
    return url.rstrip("/")


def _function(op: Operation, writer: TypeWriter, *, http: bool = False) -> Call:
    data = _http_data(op) if http else None
    return call(
        "t.func",
        writer.expr(op.input),
        writer.expr(op.output),
        call(f"{RUNTIME}.op", Str(op.function), data=data),
        effect=Str(op.effect) if op.effect != "read" else None,
        description=Str(op.description) if op.description else None,
    )


def _http_data(op: Operation) -> Expr:
    """How the forwarding guest makes `op`'s request (see templates/http_guest.py.txt)."""
    items: list[tuple[Expr, Expr]] = [
        (Str("method"), Str(op.method.upper())),
        (Str("url"), Atom(f"BASE_URL + {literal(op.path)}")),
    ]
    for location in ("path", "query"):
        found = [(Str(p.name), Str(p.field)) for p in op.parameters if p.location == location]
        if found:
            items.append((Str(location), dict_of(found)))
    if op.body is not None:
        items.append((Str("body"), Str(op.body)))
        items.append((Str("media"), Str(op.body_media or "application/json")))
    if op.response_media is not None:
        items.append((Str("response"), Str(op.response_media)))
    return dict_of(items)


def _function_arg(op: Operation, func: Call, notes: tuple[str, ...]) -> Arg:
    if keyword.iskeyword(op.function):  # not a keyword argument: g.expose(**{"import": ...})
        return Arg(dict_of([(Str(op.function), func)]), star="**", comments=notes)
    return Arg(func, keyword=op.function, comments=notes)


class _Reader:
    """One pass over the document: the named types and the operations."""

    def __init__(self, spec: dict[str, Any], defaults: Defaults) -> None:
        self.spec = spec
        self.issues = Issues()
        self.conv = SchemaConverter(spec, self.issues, defaults=defaults)
        self.functions: set[str] = set()

    def read(self) -> _Imported:
        schemas = self._section("components", "schemas")
        for key in schemas:
            self.conv.declare(pointer("components", "schemas", key), key)
        operations: list[Operation] = []
        paths = self.spec.get("paths", {})
        if not isinstance(paths, dict):
            self.issues.add("/paths", "paths must be an object: no operation imported")
            paths = {}
        for path, item in paths.items():
            item, iptr = self._resolved(item, pointer("paths", path))
            if not isinstance(item, dict):
                continue
            shared = item.get("parameters", [])
            for method in item:
                if method in METHODS and isinstance(item[method], dict):
                    operations.append(self._operation(path, method, item[method], shared, iptr))
        for where in ("webhooks", "callbacks"):
            if self.spec.get(where):
                self.issues.add(f"/{where}", f"{where} are not imported: only paths are")
        if self._section("components", "securitySchemes"):
            self.issues.add(
                "/components/securitySchemes",
                "security schemes are not imported: every function is exposed with "
                "Policy.public(); give them policies",
            )
        self.conv.finish()
        self.conv.drop_unused_any([t for op in operations for t in (op.input, op.output)])
        return _Imported(self.conv, operations)

    def _section(self, *keys: str) -> dict[str, Any]:
        try:
            found = resolve_pointer(self.spec, pointer(*keys))
        except KeyError:
            return {}
        return found if isinstance(found, dict) else {}

    def _resolved(self, value: Any, ptr: str) -> tuple[Any, str]:
        """``value`` or, for a ``{"$ref": "#/..."}``, what it points to (with its pointer)."""
        seen: set[str] = set()
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            ref: str = value["$ref"]
            target = ref[1:] if ref.startswith("#/") else None
            if target is None or target in seen:
                self.issues.add(f"{ptr}/$ref", f"$ref {ref!r} cannot be followed: dropped")
                return None, ptr
            seen.add(target)
            try:
                value, ptr = resolve_pointer(self.spec, target), target
            except KeyError:
                self.issues.add(f"{ptr}/$ref", f"$ref {ref!r} points to nothing: dropped")
                return None, ptr
        return value, ptr

    def _operation(
        self, path: str, method: str, op: dict[str, Any], shared: Any, item_ptr: str
    ) -> Operation:
        optr = f"{item_ptr}/{method}"
        name = self._function_name(op.get("operationId"), method, path)
        fields: list[tuple[str, Type]] = []
        taken: set[str] = set()
        params: list[Parameter] = []
        for param, pptr in self._parameters(shared, item_ptr, op.get("parameters"), optr):
            found = self._parameter(param, pptr, taken)
            if found is not None:
                params.append(found[0])
                fields.append((found[0].field, found[1]))
        result = Operation(name, method, path, optr, Struct(), Boolean(), _about(op), params)
        body = self._body(op.get("requestBody"), f"{optr}/requestBody", taken)
        if body is not None:
            result.body, result.body_media, body_type = body
            fields.append((result.body, body_type))
        result.input = Struct(fields=tuple(fields))
        result.output, result.response_media = self._output(op.get("responses"), optr)
        return result

    def _function_name(self, operation_id: Any, method: str, path: str) -> str:
        if isinstance(operation_id, str) and re.search(r"[A-Za-z0-9]", operation_id):
            base = re.sub(r"[^A-Za-z0-9_]+", "_", operation_id).strip("_")
        else:
            words = [method]
            for segment in path.split("/"):
                braced = re.fullmatch(r"\{(.+)\}", segment)
                words += ["by", braced.group(1)] if braced else [segment]
            base = re.sub(r"[^A-Za-z0-9]+", "_", "_".join(words)).strip("_")
        if base[0].isdigit():
            base = f"op_{base}"
        name = unique_name(base, self.functions, "_")
        self.functions.add(name)
        return name

    def _parameters(
        self, shared: Any, item_ptr: str, own: Any, optr: str
    ) -> list[tuple[dict[str, Any], str]]:
        """The operation's parameters, the path item's first (the operation's replace those
        of the same name and location)."""
        found: dict[tuple[Any, Any], tuple[dict[str, Any], str]] = {}
        for listed, lptr in ((shared, f"{item_ptr}/parameters"), (own, f"{optr}/parameters")):
            for i, raw in enumerate(listed if isinstance(listed, list) else ()):
                param, pptr = self._resolved(raw, f"{lptr}/{i}")
                if isinstance(param, dict):
                    found[(param.get("name"), param.get("in"))] = (param, pptr)
        return list(found.values())

    def _parameter(
        self, param: dict[str, Any], ptr: str, taken: set[str]
    ) -> tuple[Parameter, Type] | None:
        name, location = param.get("name"), param.get("in")
        if not isinstance(name, str) or location not in ("path", "query", "header", "cookie"):
            self.issues.add(ptr, "a parameter needs a name and a location (in): dropped")
            return None
        if location in ("header", "cookie"):
            self.issues.add(
                ptr,
                f"{location} parameter {name!r} is not imported: a function's input holds the "
                "path and query parameters and the body",
            )
            return None
        schema, sptr = param.get("schema"), f"{ptr}/schema"
        if schema is None:
            media = self._media(param.get("content"), f"{ptr}/content")
            schema, sptr = (media[1], media[2]) if media else (True, ptr)
        ty = self.conv.convert(schema, sptr)
        description = param.get("description")
        if isinstance(description, str) and description.strip():
            ty = _described(ty, description)
        field_name = self.conv.field_name(name, f"{ptr}/name", taken)
        required = location == "path" or param.get("required") is True
        return Parameter(field_name, name, location), self.conv.field(ty, required, sptr)

    def _body(self, raw: Any, ptr: str, taken: set[str]) -> tuple[str, str, Type] | None:
        body, bptr = self._resolved(raw, ptr)
        if not isinstance(body, dict):
            return None
        media = self._media(body.get("content"), f"{bptr}/content")
        if media is None:
            return None
        ty = self.conv.convert(media[1], media[2])
        description = body.get("description")
        if isinstance(description, str) and description.strip():
            ty = _described(ty, description)
        name = unique_name("body", taken, "_")
        taken.add(name)
        return name, media[0], self.conv.field(ty, body.get("required") is True, media[2])

    def _output(self, responses: Any, optr: str) -> tuple[Type, str | None]:
        codes = [
            code
            for code in (responses if isinstance(responses, dict) else {})
            if re.fullmatch(r"2(\d\d|XX|xx)", code)
        ]
        if not codes:
            self.issues.add(
                f"{optr}/responses",
                "no 2xx response: the function returns a boolean (true once done)",
            )
            return Boolean(), None
        for code in sorted(codes, key=lambda c: (not c[1:].isdigit(), c)):
            response, rptr = self._resolved(responses[code], f"{optr}/responses/{code}")
            content = response.get("content") if isinstance(response, dict) else None
            media = self._media(content, f"{rptr}/content")
            if media is not None:  # the first 2xx with content
                ty = self.conv.convert(media[1], media[2])
                return self.conv.field(ty, True, media[2]), media[0]
        return Boolean(), None  # no content: done or not

    def _media(self, content: Any, ptr: str) -> tuple[str, Any, str] | None:
        """The media type to import from ``content`` (JSON first), its schema and pointer."""
        if not isinstance(content, dict) or not content:
            return None
        kinds = list(content)
        json_like = [m for m in kinds if _is_json(m)]
        chosen = json_like[0] if json_like else kinds[0]
        mptr = f"{ptr}/{escape(chosen)}"
        if not json_like and chosen.split(";")[0].strip().lower() not in (
            *FORM_MEDIA,
            "text/plain",
        ):
            self.issues.add(
                mptr,
                f"the media type {chosen!r} is not JSON: its schema is imported as a JSON value",
            )
        entry = content[chosen]
        schema = entry.get("schema", True) if isinstance(entry, dict) else True
        return chosen, schema, f"{mptr}/schema"


def _is_json(media: str) -> bool:
    kind = media.split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json") or kind == "*/*"


def _about(op: dict[str, Any]) -> str | None:
    texts = [op.get(k) for k in ("summary", "description")]
    parts = [t.strip() for t in texts if isinstance(t, str) and t.strip()]
    if len(parts) == 2 and parts[0] == parts[1]:
        parts = parts[:1]
    return "\n\n".join(parts) or None


def _described(ty: Type, description: str) -> Type:
    return dataclasses.replace(ty, description=description)
