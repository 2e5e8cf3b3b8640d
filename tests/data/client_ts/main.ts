/**
 * The generated TypeScript clients against a real `wire serve`: each check's result (or the
 * error it threw, described) goes into one JSON object on stdout, which
 * tests/test_client_typescript.py reads. Argument: a JSON object of URLs and tokens.
 */

import * as edges from "./edges_client/index.js";
import * as flow from "./flow_client/index.js";
import * as gateway from "./gateway_client/index.js";
import * as math from "./math_client/index.js";
import * as orders from "./orders_client/index.js";

interface Settings {
  base: string; // the server
  silent: string; // a server that accepts connections and never answers
  failing: string; // a server that answers 502 with a body that is not JSON
  nowhere: string; // nothing listens there
  admin: string; // a JWT with role admin
  forged: string; // a JWT signed with another secret
  password: string; // the gateway's basic password of `admin`
  prefix: string; // the flow typegraph's channel prefix
}

const settings = JSON.parse(process.argv[2] ?? "{}") as Settings;
const at = (name: string): string => `${settings.base}/${name}`;
const results: Record<string, unknown> = {};

/** An error as the test compares it: its class name and what it carries. */
function describe(e: unknown): Record<string, unknown> {
  if (!(e instanceof Error)) {
    return { error: "not an Error", value: String(e) };
  }
  const out: Record<string, unknown> = { error: e.name, message: e.message };
  for (const key of ["code", "path", "details", "status", "closeCode", "detail"]) {
    if (key in e) {
      out[key] = (e as unknown as Record<string, unknown>)[key];
    }
  }
  out["transport"] = [math, gateway, orders, flow, edges].some(
    (m) => e instanceof m.TransportError,
  );
  return out;
}

async function check(name: string, run: () => Promise<unknown>): Promise<void> {
  try {
    results[name] = await run();
  } catch (e) {
    results[name] = describe(e);
  }
}

// -- the examples --------------------------------------------------------------------

const m = new math.Client(at("math"));
const rec: math.Rec = {
  id: 7,
  name: "full",
  shape: "triangle",
  origin: { x: 1.5, y: -2, label: "o" },
  note: "n",
  corner: { x: 0, y: 0.5, label: null },
  cells: [["a", 1.5], [], [2, "b"]],
};
await check("math.add", () => m.add({ a: 11, b: 2 }));
await check("math.range", () => m.range({ a: 1, b: 4 }));
await check("math.identity", () => m.identity(rec));
await check("math.identity.select", () => m.identity(rec, { name: true, origin: { x: true } }));
await check("math.double", () => m.double({ a: 21 }));
await check("math.count", () => m.count());
await check("math.fail", () => m.fail({ message: "boom" }));
await check("math.wide", () => m.add({ a: 2 ** 40, b: 1 }));

const g = new gateway.Client(at("gateway"));
await check("gateway.figures", () => g.figures());
await check("gateway.figures.select", () => g.figures({ Square: true }));
await check("gateway.area.square", () => g.area({ figure: { side: 2 } }));
await check("gateway.area.circle", () => g.area({ figure: { radius: 1 } }));
await check("gateway.records.select", () => g.records({ name: true, corner: { label: true } }));
await check("gateway.add_many.invalid", () => g.add_many({ n: 5000 }));
await check("gateway.forbidden", () => g.forbidden());
await check("gateway.stats.anonymous", () => g.stats());
await check("gateway.stats.token", () =>
  new gateway.Client(at("gateway"), { token: settings.admin }).stats(),
);
await check("gateway.stats.basic", () =>
  new gateway.Client(at("gateway"), {
    basic: { user: "admin", password: settings.password },
  }).stats(),
);
await check("gateway.stats.forged", () =>
  new gateway.Client(at("gateway"), { token: settings.forged }).stats(),
);
await check("gateway.stats.wrong_password", () =>
  new gateway.Client(at("gateway"), { basic: { user: "admin", password: "wrong" } }).stats(),
);

const e = new edges.Client(at("edges"));
const deep: edges.Tree = {
  value: 1,
  children: [{ value: 2, children: [{ value: 3, children: [{ value: 4, children: [] }] }] }],
};
await check("edges.tree", () => e.tree(deep));
const items: edges.Tagged[] = [
  { kind: "circle", size: 1.5 },
  { kind: "label", size: "big", bold: true },
];
await check("edges.tagged", () => e.tagged({ items }));
await check("edges.tagged.select", () => e.tagged({ items }, { items: { Label: { size: true } } }));
await check("edges.words", () =>
  e.words({ from: "a", class: "b", select: 1, self: 2, ids: ["p"], unit: "ft" }),
);
await check("edges.words.default", () => e.words({ from: "a", select: 1 }, { unit: true }));

// -- subscriptions -------------------------------------------------------------------

const o = new orders.Client(at("orders"));
await check("orders.flow", async () => {
  const shipped = o.shipped();
  await shipped.start(); // listening from here on
  const placed = await o.place({ id: 1, item: "book", qty: 7 });
  const first = await shipped.next();
  await o.place_order({ id: 2, item: "pen", qty: 1 });
  const second = await shipped.next();
  await shipped.close();
  return { placed, first: first.value, second: second.value, after: await shipped.next() };
});
await check("orders.flow.select", async () => {
  const parcels = o.shipped({ parcels: true });
  await parcels.start();
  await o.place({ id: 3, item: "pen", qty: 4 });
  for await (const message of parcels) {
    return message; // leaving the loop ends the subscription
  }
  return null;
});
await check("orders.place.invalid", () => o.place({ id: 0, item: "", qty: 1 }));

const f = new flow.Client(at("flow"));
await check("flow.jobs", async () => {
  const done = f.done();
  await done.start();
  await f.jobs({ channel: `${settings.prefix}.done`, payload: { n: 5 } });
  const next = await done.next();
  await done.close();
  return next.value;
});
await check("flow.denied", () => f.denied().start());
await check("edges.notes", async () => {
  const notes = e.notes();
  await notes.start();
  await e.note("hello");
  const next = await notes.next();
  await notes.close();
  return next.value;
});

// -- transport errors ----------------------------------------------------------------

await check("nowhere", () => new math.Client(`${settings.nowhere}/math`).add({ a: 1, b: 2 }));
await check("nowhere.subscription", () =>
  new orders.Client(`${settings.nowhere}/orders`).shipped().start(),
);
await check("unknown_typegraph", () => new math.Client(at("nope")).add({ a: 1, b: 2 }));
await check("unknown_typegraph.subscription", () =>
  new orders.Client(at("nope")).shipped().start(),
);
await check("forged.subscription", () =>
  new orders.Client(at("orders"), { token: settings.forged }).shipped().start(),
);
await check("server_error", () => new math.Client(`${settings.failing}/math`).add({ a: 1, b: 2 }));
await check("timeout", () =>
  new math.Client(`${settings.silent}/math`, { timeoutMs: 300 }).add({ a: 1, b: 2 }),
);
await check("timeout.subscription", () =>
  new orders.Client(`${settings.silent}/orders`, { timeoutMs: 300 }).shipped().start(),
);
await check("select.unknown", () => g.records({ nmae: true } as gateway.RecSelect));
await check("variant.none", () => g.area({ figure: { edge: 1 } as unknown as gateway.Figure }));

console.log(JSON.stringify(results));

// -- what the types refuse (checked by tsc, never run) -------------------------------

export function refused(): void {
  // @ts-expect-error: `a` is a number
  void m.add({ a: "1", b: 2 });
  // @ts-expect-error: not a Shape
  void m.identity({ ...rec, shape: "hexagon" });
  // @ts-expect-error: `y` is missing
  void m.identity({ ...rec, origin: { x: 1 } });
  // @ts-expect-error: no such field to select
  void g.records({ nmae: true });
  // @ts-expect-error: a narrowed result is partial
  void g.records({ name: true }).then((r: gateway.Rec[]) => r);
  // @ts-expect-error: no such function
  void g.nope();
  // @ts-expect-error: a recursive result is partial by default
  void e.tree(deep).then((t: edges.Tree) => t);
}
