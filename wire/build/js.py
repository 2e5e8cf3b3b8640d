"""Build a TypeScript or JavaScript guest into a component with componentize-js.

TS is type-checked (`tsc --strict --noEmit`), then `app.ts`/`app.js` and what it imports are
bundled by esbuild into one ES module, which componentize-js turns into a component of
world `wit-wire`, without its `wasi:http` and fetch-event features: wasmtime-py's linker
provides WASI p2 but not wasi:http. The wit imports (`metatype:*`, `wasi:*`) stay imports.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ..paths import WIT_DIR
from .detect import Language
from .errors import BuildError, GuestTypeError
from .inputs import WORLD, Inputs, read_js_inputs
from .sdk import check_sdk
from .staging import Progress, cached_build, tool_failed
from .toolchain import COMPONENTIZE_JS, ESBUILD, TSC, Toolchain, toolchain, toolchain_key

_TIMEOUT_S = 600
_BUNDLE = [
    "--bundle", "--format=esm", "--platform=neutral", "--target=es2022",
    "--external:metatype:*", "--external:wasi:*", "--log-level=warning",
]  # fmt: skip
_COMPONENTIZE = ["-w", str(WIT_DIR), "-n", WORLD, "-d", "http", "-d", "fetch-event"]
# `tsc --strict --noEmit` with the settings of the generated tsconfig.json.
TSC_FLAGS = [
    "--strict", "--noEmit", "--target", "es2022", "--module", "es2022",
    "--moduleResolution", "bundler", "--lib", "es2022", "--isolatedModules",
    "--verbatimModuleSyntax", "--pretty", "false",
]  # fmt: skip
_RECIPE = " ".join([*_BUNDLE, *_COMPONENTIZE[2:], *TSC_FLAGS])


def js_inputs(src: Path, entry: str) -> Inputs:
    return read_js_inputs(src, entry, toolchain_key(), _RECIPE)


def build_js_guest(
    src: Path,
    language: Language,
    entry: str,
    *,
    progress: Progress | None = None,
    force: bool = False,
) -> Path:
    """Build the TS/JS guest folder `src` whose entry module is `entry`."""
    check_sdk(src, language, entry)
    inputs = js_inputs(src, entry)
    tools: list[Toolchain] = []  # installed only when a build is needed

    def make(work: Path, staged: Path, out: Path) -> None:
        tools.append(toolchain(progress))
        if language == "typescript":
            check_types(tools[0], staged, src)
        bundle = work / "bundle.js"
        _run(tools[0], [*tools[0].script(ESBUILD), entry, *_BUNDLE, f"--outfile={bundle}"],
             staged, src, "esbuild")  # fmt: skip
        cmd = [*tools[0].script(COMPONENTIZE_JS), str(bundle), *_COMPONENTIZE, "-o", str(out)]
        _run(tools[0], cmd, work, src, "componentize-js", env={"TMPDIR": str(work)})
        if not out.is_file():
            raise BuildError("componentize-js wrote no component", where=str(src))

    return cached_build(
        src, inputs.digest(), inputs.guest, "componentize-js", make, progress=progress, force=force
    )


def ts_files(root: Path) -> list[str]:
    """The .ts files under `root` (relative, sorted), without node_modules or hidden ones."""
    found = []
    for path in root.rglob("*.ts"):
        rel = path.relative_to(root)
        if not any(p == "node_modules" or p.startswith(".") for p in rel.parts):
            found.append(rel.as_posix())
    return sorted(found)


def check_types(tools: Toolchain, root: Path, src: Path) -> str:
    """`tsc --strict --noEmit` over the .ts files of `root`; `src` names the guest in errors."""
    cmd = [*tools.script(TSC), *TSC_FLAGS, *ts_files(root)]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=_TIMEOUT_S)
    report = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0:
        raise GuestTypeError(f"tsc --strict found errors:\n{report}", where=str(src), stderr=report)
    return report


def _run(
    tools: Toolchain,
    cmd: list[str],
    cwd: Path,
    src: Path,
    what: str,
    env: dict[str, str] | None = None,
) -> None:
    # The tools see no NODE_OPTIONS / NODE_PATH from the caller: only the pinned modules.
    base = {k: v for k, v in os.environ.items() if not k.startswith(("NODE_", "npm_"))}
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, env={**base, **(env or {})}, capture_output=True, text=True,
            timeout=_TIMEOUT_S,
        )  # fmt: skip
    except subprocess.TimeoutExpired as e:
        raise BuildError(f"{what} took over {_TIMEOUT_S} s", where=str(src)) from e
    if proc.returncode != 0:
        raise tool_failed(what, proc.returncode, (proc.stderr or proc.stdout).strip(), src)
