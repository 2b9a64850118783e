/**
 * Starts an ES module in a worker thread. From compiled .js that is plain
 * `new Worker(url)`; from .ts sources (tests, tsx) the worker first registers
 * tsx's loader, which a worker does not inherit.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";

export function spawnModuleWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith(".ts")) return new Worker(entry, options);
  // The ESM build of tsx's API; require.resolve finds its CJS twin next to it.
  const api = createRequire(import.meta.url)
    .resolve("tsx/esm/api")
    .replace(/\.cjs$/, ".mjs");
  const boot = `import(${JSON.stringify(pathToFileURL(api).href)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}

/** The sibling module `name` (without extension) of `here`, in the same form (.ts or .js) as `here`. */
export function siblingModule(name: string, here: string): URL {
  return new URL(`./${name}${here.endsWith(".ts") ? ".ts" : ".js"}`, here);
}
