/** The benchmark's TS echo: the twin of bench/echo_py/guest/app.py. */

import { type Ctx, exportMatWire, type Handlers } from "./wire_sdk/index.js";
import type { Payload } from "./wire_sdk/types.js";

class App implements Handlers {
  echo(inp: Payload, ctx: Ctx): Payload {
    return inp;
  }
}

/** The component's `mat-wire` export (componentize-js looks for this name). */
export const matWire = exportMatWire(new App());
