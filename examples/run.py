"""`make run`: serve the examples (orders, gateway, math) with reloads on, and print how
to try the orders message flow: a mutation publishes an order, the guest handler `ship`
reacts, and a GraphQL subscription shows the shipment. Runs until Ctrl-C.

Configured like `wire serve` (WIRE_PORT, WIRE_BROKER, ... see docs/serving.md).
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote

from wire import console
from wire.http import ServerConfig, serve

HERE = Path(__file__).resolve().parent
EXAMPLES = [HERE / "orders" / "typegraph.py", HERE / "gateway" / "typegraph.py"]
EXAMPLES.append(HERE / "math" / "typegraph.py")
SUBSCRIPTION = "subscription { shipped { id parcels } }"
MUTATION = 'mutation { place(id: 1, item: "book", qty: 4) }'


def hints(base: str) -> list[str]:
    orders = f"{base}/orders"
    return [
        "",
        "try the orders message flow (on the embedded broker unless WIRE_BROKER says otherwise):",
        "  1. subscribe: open this in a browser and run it (the ▶ button or Ctrl-Enter):",
        f"     {orders}?query={quote(SUBSCRIPTION)}",
        "  2. place an order:",
        f"     curl -s {orders} -H 'content-type: application/graphql' -d '{MUTATION}'",
        '     the handler `ship` reacts, and GraphiQL shows {"shipped": {"id": 1, "parcels": 2}}',
        "     (`place_order` does the same from a guest with ctx.send; Ctrl-C stops the server)",
    ]


def main() -> int:
    console.setup()  # progress, logs and errors as `wire serve` shows them
    return console.run(lambda: serve(EXAMPLES, ServerConfig.from_env(watch=True), hints=hints))


if __name__ == "__main__":
    sys.exit(main())
