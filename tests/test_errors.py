"""Every error code wire uses is in the error table (docs/errors.md), and every code there is
used: the codes of the `WireError` subclasses (every module of `wire` imported, the
subclasses walked) and the codes written as literals (hostcall op errors, GraphQL request
errors, HTTP errors, the command line's own). Every `WireError` subclass is exported from
`wire`, under a name no other error has."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import wire
from wire.errors import WireError

REPO = Path(__file__).resolve().parent.parent
ERRORS_DOC = REPO / "docs" / "errors.md"

# Where the source writes a code as a literal (the group that matches is the code).
LITERAL_CODES = (
    r'\bcode\s*=\s*"(\w+)"(?:\s+if\s.+?\selse\s+"(\w+)")?',  # class attribute, keyword
    r'"code":\s*"(\w+)"',  # an error object: GraphQL extensions, a hostcall's reply
    r'\(\s*"code",\s*"(\w+)"\)',  # extensions.setdefault("code", ...)
    r'\b_error\(\s*"(\w+)"',  # a hostcall op's error (wire/hostcalls.py)
    r'\b_coded\(\w+,\s*"(\w+)"\)',  # a GraphQL request error (wire/graphql/gateway.py)
    r'\bHttpError\(\s*\d{3},\s*"(\w+)"',  # an HTTP error (wire/http/app.py)
    r"error \[(\w+)\]",  # the command line's own line (wire/console.py)
)


def _subclasses(cls: type[WireError]) -> Iterator[type[WireError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@pytest.fixture(scope="module")
def error_classes() -> list[type[WireError]]:
    for module in pkgutil.walk_packages(wire.__path__, "wire."):
        importlib.import_module(module.name)
    return [WireError, *_subclasses(WireError)]


def class_codes(classes: list[type[WireError]]) -> set[str]:
    return {cls.code for cls in classes}


def literal_codes() -> dict[str, set[str]]:
    """Code -> the files of wire/ that write it as a literal."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / "wire").rglob("*.py")):
        text = path.read_text()
        for pattern in LITERAL_CODES:
            for match in re.finditer(pattern, text):
                for code in filter(None, match.groups()):
                    found.setdefault(code, set()).add(str(path.relative_to(REPO)))
    return found


def documented_codes() -> list[str]:
    """The codes of the error table: the first cell of each row, every `code` in it."""
    rows = re.findall(r"^\| (`.*?) \|", ERRORS_DOC.read_text(), re.M)
    assert rows, "no error table"
    return [code for row in rows for code in re.findall(r"`(\w+)`", row)]


def test_every_code_is_documented_and_every_documented_code_is_used(
    error_classes: list[type[WireError]],
) -> None:
    used = class_codes(error_classes) | set(literal_codes())
    documented = documented_codes()
    assert len(documented) == len(set(documented)), "a code in two rows of the error table"
    missing = sorted(used - set(documented))
    assert not missing, f"codes used in wire/ but not in the error table: {missing}"
    stale = sorted(set(documented) - used)
    assert not stale, f"codes in the error table that wire/ never uses: {stale}"


def test_the_literal_patterns_find_the_codes_only_literals_carry() -> None:
    """The regexes see each kind of literal (else the check above would pass vacuously)."""
    found = literal_codes()
    for code, where in {
        "op_404": "wire/hostcalls.py",
        "graphql_parse_failed": "wire/graphql/gateway.py",
        "invalid_variables": "wire/graphql/gateway.py",
        "bad_request": "wire/http/app.py",
        "graphql_error": "wire/graphql/gateway.py",
        "typegraph_unavailable": "wire/http/app.py",
        "subscription_ended": "wire/http/subscriptions.py",
        "missing_dependency": "wire/console.py",
        "query_too_complex": "wire/graphql/limits.py",
    }.items():
        assert where in found.get(code, set()), (code, where)


def test_every_error_class_is_exported_from_wire(error_classes: list[type[WireError]]) -> None:
    names: dict[str, type[WireError]] = {}
    for cls in error_classes:
        assert cls.__name__ not in names, (
            f"two errors named {cls.__name__}: {names[cls.__name__]} and {cls}"
        )
        names[cls.__name__] = cls
        assert cls.__name__ in wire.__all__, f"{cls.__module__}.{cls.__name__} is not exported"
        assert getattr(wire, cls.__name__) is cls, cls


def test_each_subsystem_keeps_its_errors_in_its_errors_module(
    error_classes: list[type[WireError]],
) -> None:
    for cls in error_classes:
        assert cls.__module__ == "wire.errors" or cls.__module__.endswith(".errors"), (
            f"{cls.__name__} is defined in {cls.__module__}, not in an errors module"
        )


def test_import_wire_leaves_the_server_packages_for_later() -> None:
    """The lazily exported errors do not make `import wire` pull graphql-core or starlette."""
    import subprocess
    import sys

    code = (
        "import sys, wire\n"
        "assert 'wire.graphql' not in sys.modules and 'starlette' not in sys.modules\n"
        "from wire import PolicyDenied, PortUnavailable\n"
        "assert PolicyDenied.code == 'policy_denied'\n"
        "assert PortUnavailable.code == 'port_unavailable'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
