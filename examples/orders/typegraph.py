"""The orders example: a message flow, served by `wire serve` (what `make run` shows).

- `place` (a publish mutation) puts a checked `OrderPlaced` on `orders.placed`;
  `place_order` (a guest function) does the same from inside a guest with `ctx.send`;
- the handler `ship` reacts to each order and sends `orders.shipped`;
- the subscription `shipped` streams `orders.shipped` to GraphQL clients (WebSocket,
  graphql-transport-ws; GraphiQL in a browser);
- the responder `quote` answers requests on `orders.quote`.

    wire serve examples/orders/typegraph.py               # GraphQL + the handlers
    wire consume examples/orders/typegraph.py             # the handlers only (any broker)
    wire publish orders.placed '{"id": 1, "item": "book", "qty": 2}' -t examples/orders/typegraph.py
"""

from typegraph import Graph, Policy, WireRuntime, t, typegraph


@typegraph()
def orders(g: Graph) -> None:
    placed = t.struct(
        {"id": t.integer(min=1), "item": t.string(min=1), "qty": t.integer(min=1)}
    ).rename("OrderPlaced")
    shipped = t.struct({"id": t.integer(), "parcels": t.integer()}).rename("OrderShipped")
    quote_req = t.struct({"item": t.string(), "qty": t.integer(min=1)}).rename("QuoteRequest")

    g.channel("orders.placed", placed, durable=True, kind="queue")
    g.channel("orders.shipped", shipped, durable=True)
    g.channel("orders.quote", quote_req, kind="queue")

    guest = WireRuntime(
        "guest", instances="pooled", channels=["orders.placed", "orders.shipped", "orders.quote"]
    )
    g.expose(
        Policy.public(),
        place_order=guest.handler(placed, t.boolean(), name="place_order", effect="create"),
        place=g.publish("orders.placed").describe("Publish an order on orders.placed."),
        shipped=g.subscription("orders.shipped").describe("Every order shipped from now on."),
    )
    g.on("orders.placed", guest.handler(placed, t.boolean(), name="ship"), max_attempts=3)
    g.respond("orders.quote", guest.handler(quote_req, t.float(), name="quote"))
