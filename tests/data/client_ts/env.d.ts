// What the test program uses of Node.js (the clients themselves need no Node types).
declare const console: { log(...args: unknown[]): void };
declare const process: { argv: string[] };
