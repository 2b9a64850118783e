/**
 * dcm's public entry for Node: open a built dist/ and call its fragments on
 * either side, with the language glue found through the adapter registry.
 *
 *   import { openDist } from "dcm";
 *   import { bindFragments } from "./dist/fragments.js";
 *   const dist = await openDist("dist");
 *   const f = bindFragments((id, args) => dist.call(id, args, { on: "client" }));
 *   await f.GetHash("abc");
 */
import { type LoadedDist, loadDist } from "../runtime/node/load-dist.js";
import { languageById } from "./languages/registry.js";

export type { CallOptions, LoadedDist } from "../runtime/node/load-dist.js";
export { FragmentCallError } from "../runtime/abi/call-error.js";
export type { JsValue } from "../runtime/abi/js-values.js";
export type { Manifest, ManifestFragment, ManifestModule } from "../runtime/abi/manifest-types.js";
export { analyzeProject } from "./build/analyze-project.js";
export { buildDist } from "./build/build-dist.js";
export { DcmError } from "./diagnostics/catalog.js";

export function openDist(dir: string): Promise<LoadedDist> {
  return loadDist(dir, (language, target) => languageById(language)?.runtimeGlue[target]);
}
