/**
 * The ops of component 'guest-ts' (typegraph 'math_ts'): the TypeScript twin of
 * `../guest/app.py`, answering every case alike.
 *
 * Written once by wire codegen and yours from now on: regenerating the SDK never
 * overwrites this file. Fill in each method; `matWire` below is the component's export.
 */

import { type Ctx, exportMatWire, type Handlers } from "./wire_sdk/index.js";
import type {
  AddInput,
  CountInput,
  DoubleInput,
  FailInput,
  GreetInput,
  RangeInput,
  Rec,
} from "./wire_sdk/types.js";

// Lives as long as the instance: a fresh instance per call (runtime `guest_ts`) always
// answers 1, a pooled one (runtime `guest_ts_pooled`) counts up.
let calls = 0;

class App implements Handlers {
  add(inp: AddInput, ctx: Ctx): number {
    return inp.a + inp.b;
  }

  count(inp: CountInput, ctx: Ctx): number {
    calls += 1;
    return calls;
  }

  double(inp: DoubleInput, ctx: Ctx): number {
    // Another function of the typegraph, typed, as the calling request: `add` answers
    // (a failure throws HostcallError with its code).
    return ctx.fn.add({ a: inp.a, b: inp.a });
  }

  fail(inp: FailInput, ctx: Ctx): boolean {
    throw new Error(inp.message);
  }

  greet(inp: GreetInput, ctx: Ctx): string {
    ctx.log("info", `greeting ${inp.name}`);
    console.log(`stdout works too, ${inp.name}`); // guest stdout goes to the host log
    return "hello " + inp.name;
  }

  identity(inp: Rec, ctx: Ctx): Rec {
    return inp;
  }

  range(inp: RangeInput, ctx: Ctx): number[] {
    const { a, b } = inp;
    if (a > b) {
      throw new RangeError(`invalid range: ${a} > ${b}`);
    }
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  }
}

/** The component's `mat-wire` export (componentize-js looks for this name). */
export const matWire = exportMatWire(new App());
