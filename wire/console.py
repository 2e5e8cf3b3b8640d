"""How the command line talks to a person: progress and logs on stderr, and every error in
a line or two that says what to do, never a traceback (but with `-v`, for a bug).

`setup(verbose)` installs the progress reporter (`wire.progress`) and the log handler;
`run(command, verbose)` runs a command and turns what it raises into an exit code and
those lines.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable

from . import progress
from .errors import WireError

# The Python package a `ModuleNotFoundError` names -> the extra of wire that installs it.
# (A broker's client is the broker layer's to name: `make_broker` raises `MissingClient`.)
EXTRAS = {
    "componentize_py": ("build", "the Python guest builder (componentize-py)"),
    "yaml": ("openapi", "the YAML reader (PyYAML)"),
}
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


class _Quiet(logging.Filter):
    """What the steps and the final error line already say: the build messages and the
    start failures that `wire.runtime` logs (shown with -v)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith("wire.runtime")


def setup(verbose: bool = False) -> None:
    """Progress and log lines to stderr; INFO and up (DEBUG with `verbose`)."""
    reporter = progress.install(sys.stderr)
    handler = progress.LogHandler(reporter)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    if not verbose:
        handler.addFilter(_Quiet())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)


def explain(e: BaseException) -> list[str]:
    """What to tell a person about `e`: one or two lines."""
    if isinstance(e, WireError):
        return [f"error [{e.code}]: {e}"]
    if isinstance(e, ModuleNotFoundError) and e.name:
        root = e.name.split(".")[0]
        if root in EXTRAS:
            extra, what = EXTRAS[root]
            return [
                f"error [missing_dependency]: {what} is not installed (no module {e.name!r})",
                f"  install the extra: pip install 'wire[{extra}]' (in this checkout: make setup)",
            ]
    if isinstance(e, OSError) and e.strerror:
        where = f"{e.filename}: " if e.filename else ""
        return [f"error [os_error]: {where}{e.strerror}"]
    return [
        f"error [internal_error]: {type(e).__name__}: {e}",
        "  this is a bug in wire: run the command again with -v for the traceback, and report it",
    ]


def run(command: Callable[[], int], verbose: bool = False) -> int:
    """Run `command`; its exit code, or 1 with the error explained on stderr (130 when
    interrupted)."""
    try:
        return command()
    except KeyboardInterrupt:
        return 130
    except Exception as e:
        if verbose and not isinstance(e, WireError):
            traceback.print_exc()
        say("\n".join(explain(e)))
        return 1


def say(text: str) -> None:
    """A line (or lines) for the person at the terminal, on stderr."""
    reporter = progress.active()
    if reporter is not None:
        reporter.write(text)
    else:
        print(text, file=sys.stderr, flush=True)
