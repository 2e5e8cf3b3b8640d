/**
 * The TypeScript guest of tests/ops_typegraph.py: typed calls (`ctx.fn`) and HTTP
 * (`ctx.fetch`), the twin of ../ops_py/app.py. tests/test_guest_ops.py copies this file
 * next to the SDK `wire codegen` writes for it, and builds the pair.
 */

import {
  type Ctx,
  exportMatWire,
  type FetchInit,
  type Handlers,
  HostcallError,
  type Json,
  type PolicyDecision,
  type PolicyInput,
} from "./wire_sdk/index.js";
import type { Attempt, Depth, FetchRequest, Nothing, Outcome, Pair } from "./wire_sdk/types.js";

function caught(e: unknown): Outcome {
  if (e instanceof HostcallError) {
    return { code: e.code, message: e.detail, details: e.details };
  }
  throw e;
}

class App implements Handlers {
  add(inp: Pair, ctx: Ctx): number {
    return inp.a + inp.b;
  }

  helper(inp: Pair, ctx: Ctx): number {
    return inp.a * inp.b;
  }

  typed(inp: Pair, ctx: Ctx): number {
    const total: number = ctx.fn.add({ a: inp.a, b: inp.b });
    const product: number = ctx.fn.helper(inp); // not exposed: only the typegraph's guests
    return total + product;
  }

  attempt(inp: Attempt, ctx: Ctx): Outcome {
    const stubs = ctx.fn as unknown as { [name: string]: ((args: Json) => Json) | undefined };
    const stub = stubs[inp.function];
    try {
      const result =
        stub !== undefined
          ? stub.call(ctx.fn, inp.args)
          : ctx.call({ function: inp.function, args: inp.args as { [key: string]: Json } });
      return { result };
    } catch (e) {
      return caught(e);
    }
  }

  recurse(inp: Depth, ctx: Ctx): number {
    return inp.depth === 0 ? 0 : ctx.fn.recurse({ depth: inp.depth - 1 }) + 1;
  }

  secret(inp: Nothing, ctx: Ctx): string {
    return "the eagle has landed";
  }

  forbidden(inp: Nothing, ctx: Ctx): boolean {
    throw new Error("a denied function must never run");
  }

  stats(inp: Nothing, ctx: Ctx): number {
    return 42;
  }

  bad_output(inp: Nothing, ctx: Ctx): number {
    return "not a number" as unknown as number; // the host checks results: invalid_output
  }

  is_admin(inp: PolicyInput, ctx: Ctx): PolicyDecision {
    return inp.context.user === "admin" ? "allow" : "deny";
  }

  fetch(inp: FetchRequest, ctx: Ctx): Outcome {
    const init: FetchInit = { method: inp.method };
    if (inp.headers) init.headers = inp.headers as { [name: string]: string };
    if (inp.body !== undefined && inp.body !== null) init.body = inp.body;
    if (inp.json !== undefined && inp.json !== null) init.json = inp.json;
    if (inp.timeout_ms !== undefined && inp.timeout_ms !== null) init.timeoutMs = inp.timeout_ms;
    try {
      const res = ctx.fetch(inp.url, init);
      const isJson = res.headers["content-type"] === "application/json";
      return {
        result: {
          status: res.status,
          ok: res.ok,
          url: res.url,
          body: res.text(),
          headers: res.headers,
          json: isJson ? res.json() : null,
        },
      };
    } catch (e) {
      return caught(e);
    }
  }
}

/** The component's `mat-wire` export: componentize-js looks for this name. */
export const matWire = exportMatWire(new App());
