// `node --import <this file>`: appends every module the process loads to the file
// DCM_LOAD_LOG names, one `esm <url>` or `cjs <path>` a line (test/e2e/cli-startup.spec.ts).
// ES modules through a resolve hook; CommonJS (tree-sitter, fastify, … loaded through
// require or import) from require.cache when the process exits.
import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";

const log = process.env.DCM_LOAD_LOG;
if (log) {
  register(new URL("./esm-hooks.mjs", import.meta.url), { data: { log } });
  process.on("exit", () => {
    const cache = createRequire(import.meta.url).cache;
    appendFileSync(log, Object.keys(cache).map((f) => `cjs ${f}\n`).join(""));
  });
}
