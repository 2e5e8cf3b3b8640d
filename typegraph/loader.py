"""`load`: run a typegraph file and return its document."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import itertools
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .definition import Typegraph
from .errors import TypegraphError

__all__ = ["load"]

_counter = itertools.count()


def load(path: str | Path, name: str | None = None) -> dict[str, Any]:
    """Run the Python file ``path`` and return the document of its ``@typegraph``
    (the one named ``name`` when the file defines several)."""
    file = Path(path).resolve()
    if not file.is_file():
        raise TypegraphError(f"no typegraph file at {str(path)!r}")
    if file.suffix != ".py":
        raise TypegraphError(f"a typegraph file is a .py file, got {str(path)!r}")
    digest = hashlib.sha256(str(file).encode()).hexdigest()[:12]
    module_name = f"_wire_typegraph_{file.stem}_{digest}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise TypegraphError(f"cannot load {str(path)!r} as a Python module")
    module = importlib.util.module_from_spec(spec)
    folder = str(file.parent)
    sys.modules[module_name] = module
    sys.path.insert(0, folder)
    try:
        with _user_code(file):
            spec.loader.exec_module(module)
    finally:
        sys.modules.pop(module_name, None)
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)

    found: dict[str, Typegraph] = {}
    for value in vars(module).values():
        if isinstance(value, Typegraph):
            found.setdefault(value.name, value)
    if name is not None:
        if name not in found:
            known = ", ".join(sorted(found)) or "none"
            raise TypegraphError(f"no typegraph named {name!r} in {str(path)!r} (found: {known})")
        with _user_code(file):
            return found[name].document()
    if not found:
        raise TypegraphError(
            f"no @typegraph() function in {str(path)!r}; decorate one with @typegraph()"
        )
    if len(found) > 1:
        raise TypegraphError(
            f"{str(path)!r} defines several typegraphs ({', '.join(sorted(found))}); "
            "pick one with load(path, name=...)"
        )
    with _user_code(file):
        return next(iter(found.values())).document()


@contextlib.contextmanager
def _user_code(file: Path) -> Iterator[None]:
    """Run the typegraph file's code: an exception it raises (a syntax error, a failed
    import, a bug) is a `TypegraphError` naming the file and line where it happened."""
    try:
        yield
    except TypegraphError:
        raise
    except SyntaxError as e:
        where = _place(file, e.filename, e.lineno)
        raise TypegraphError(f"{where}SyntaxError: {e.msg}") from e
    except Exception as e:
        frames = traceback.extract_tb(e.__traceback__)
        mine = [f for f in frames if _within(file.parent, f.filename)] or frames[-1:]
        where = _place(file, mine[-1].filename, mine[-1].lineno) if mine else ""
        raise TypegraphError(f"{where}{type(e).__name__}: {e}") from e


def _place(file: Path, filename: str | None, line: int | None) -> str:
    if not filename:
        return ""
    shown = "line" if Path(filename) == file else f"{filename}, line"
    return f"{shown} {line}: " if line else f"{filename}: "


def _within(folder: Path, filename: str) -> bool:
    try:
        Path(filename).resolve().relative_to(folder)
    except (ValueError, OSError):
        return False
    return True
