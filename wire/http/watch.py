"""`wire serve --watch`: reload a typegraph when a file in its folder changes."""

from __future__ import annotations

import logging
from pathlib import Path

from watchfiles import DefaultFilter, awatch

from .typegraphs import Typegraphs

log = logging.getLogger("wire.serve")


async def watch(typegraphs: Typegraphs) -> None:
    """Watch each typegraph's folder (its guest sources live there) until cancelled."""
    folders = {slot.path.parent for slot in typegraphs.slots.values()}
    log.info("watching %s", ", ".join(str(f) for f in sorted(folders)))
    async for changes in awatch(*folders, watch_filter=DefaultFilter(), debounce=300):
        changed = [Path(p) for _, p in changes]
        for slot in list(typegraphs.slots.values()):
            folder = slot.path.parent
            if any(p == folder or folder in p.parents for p in changed):
                await typegraphs.reload(slot)
