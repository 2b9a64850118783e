#!/usr/bin/env node
// The compiled CLI lives in build/cli/ (tsc, then an esbuild bundle: scripts/bundle-cli.mjs);
// `npm run build` (run by both README commands) produces it.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

// `dcm invoke --batch … | head` closes the pipe early: stop quietly, as other command-line tools do.
process.stdout.on("error", (e) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

const entry = new URL("../build/cli/dcm.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error("dcm is not built yet: run `npm run build` in " + fileURLToPath(new URL("..", import.meta.url)));
  process.exitCode = 1;
} else {
  const { main, hasStuckThreads, hardExit } = await import(entry.href);
  process.exitCode = await main(process.argv.slice(2));
  // A fragment stuck inside native code (abandoned after its timeout) keeps a thread Node cannot stop:
  // a normal exit would wait for it forever.
  if (hasStuckThreads()) await hardExit(process.exitCode);
}
