/** The TypeScript twin of ../batch_py/app.py (tests/test_messaging_batches.py): one handler
 * per way a batch ends. */

import { type Ctx, exportMatWire, type Handlers, HostcallError } from "./wire_sdk/index.js";
import type { Job } from "./wire_sdk/types.js";

class App implements Handlers {
  ship(inp: Job, ctx: Ctx): boolean {
    ctx.log("debug", `shipping ${inp.n}`);
    ctx.send("jobs.out", { n: inp.n * 2 });
    return true;
  }

  flaky(inp: Job, ctx: Ctx): boolean {
    if (inp.n % 5 === 0) {
      throw new RangeError(`no multiples of 5: ${inp.n}`);
    }
    ctx.send("jobs.out", { n: inp.n });
    return true;
  }

  settles(inp: Job, ctx: Ctx): boolean {
    ctx.complete();
    return true;
  }

  swallows(inp: Job, ctx: Ctx): boolean {
    try {
      ctx.complete();
    } catch {
      // what careless handlers do
      return false;
    }
    return true;
  }

  spins(inp: Job, ctx: Ctx): boolean {
    while (inp.n === 3) {
      // spins until the deadline
    }
    ctx.send("jobs.out", { n: inp.n });
    return true;
  }

  strays(inp: Job, ctx: Ctx): boolean {
    try {
      ctx.send("jobs.secret", { n: inp.n });
    } catch (e) {
      if (e instanceof HostcallError) return false;
      throw e;
    }
    return true;
  }
}

/** The component's `mat-wire` export (componentize-js looks for this name). */
export const matWire = exportMatWire(new App());
