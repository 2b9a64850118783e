/**
 * dcm's public entry for Node: open a built dist/ and call its fragments on
 * either side, with the language glue found through the adapter registry.
 *
 *   import { openDist } from "dcm";
 *   import { bindFragments } from "./dist/fragments.js";
 *   const dist = await openDist("dist");
 *   const f = bindFragments((id, args) => dist.call(id, args, { on: "client" }));
 *   await f.GetHash("abc");
 *   await dist.call("GetHash", ["abc"], { on: "server", timeoutMs: 5000 });   // by name, with a time limit
 */
import { type LoadDistOptions, type LoadedDist, loadDist } from "../runtime/node/load-dist.js";
import { glueFor } from "./languages/registry.js";

export type { CallOptions, LoadDistOptions, LoadedDist } from "../runtime/node/load-dist.js";
export type { CallOutput, FragmentOutput, OutputChunk, OutputHandler } from "../runtime/abi/output-types.js";
export { OUTPUT_LIMIT_BYTES, outputPrinter } from "../runtime/abi/call-output.js";
export { FragmentCallError } from "../runtime/abi/call-error.js";
export type { JsValue } from "../runtime/abi/js-values.js";
export type { Manifest, ManifestFragment, ManifestModule } from "../runtime/abi/manifest-types.js";
export { analyzeProject } from "./build/analyze-project.js";
export { buildDist } from "./build/build-dist.js";
export { DcmError } from "../runtime/diagnostics/catalog.js";

/**
 * Opens a dist. `opts.onOutput` receives what each call prints (default:
 * process.stderr, each line prefixed `[fragment <id>] `); calls take a
 * fragment's id or its name (`Func`, `Type.Method`) and an optional
 * `timeoutMs` (see runtime/node/load-dist.ts).
 */
export function openDist(dir: string, opts: LoadDistOptions = {}): Promise<LoadedDist> {
  return loadDist(dir, glueFor, opts);
}
