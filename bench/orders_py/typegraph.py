"""The peer benchmark's order handler (bench/bench_peers_messaging.py), run by `wire consume`.

The same work as its peers: take an order from `<prefix>.placed`, check its types, compute
`parcels = ceil(qty / 3)`, send `{id, parcels}` on `<prefix>.shipped` with `ctx.send`.
The benchmark picks the channels per run (fresh subjects, fresh JetStream streams):

    WIRE_BENCH_ORDERS=bench.orders       # the channel prefix (this default)
    WIRE_BENCH_ORDERS_DURABLE=1          # `<prefix>.placed` durable: a JetStream stream
    WIRE_BENCH_ORDERS_CONCURRENCY=4      # batches handled at once (= pooled instances)

The guest learns the output channel from its materializer data, so one build serves every
prefix.
"""

import os

from typegraph import Graph, WireRuntime, t, typegraph

PREFIX = os.environ.get("WIRE_BENCH_ORDERS", "bench.orders")
DURABLE = os.environ.get("WIRE_BENCH_ORDERS_DURABLE", "") == "1"
# 4 on 2 cores: a batch waits on the event loop (its sends, its acks) as much as it runs
# guests, so twice the cores keeps both busy (measured: ~5k orders/s with 2, ~7k with 4).
CONCURRENCY = int(os.environ.get("WIRE_BENCH_ORDERS_CONCURRENCY", "4"))


@typegraph()
def bench_orders(g: Graph) -> None:
    placed, shipped = f"{PREFIX}.placed", f"{PREFIX}.shipped"
    order = t.struct(
        {"id": t.integer(min=1), "item": t.string(min=1), "qty": t.integer(min=1)}
    ).rename("Order")
    shipment = t.struct({"id": t.integer(), "parcels": t.integer()}).rename("Shipment")
    g.channel(placed, order, durable=DURABLE, kind="queue")
    g.channel(shipped, shipment)
    guest = WireRuntime(
        "guest", instances="pooled", pool_size=CONCURRENCY, channels=[placed, shipped]
    )
    ship = guest.handler(order, t.boolean(), name="ship", data={"shipped": shipped})
    g.on(placed, ship, concurrency=CONCURRENCY)
