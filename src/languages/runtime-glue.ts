/**
 * Which runtime glue loads a language's modules of a target
 * (runtime/abi/module-types.ts): the glue the language names in its
 * descriptor's `runtimeGlue`, else core's glue for modules that follow
 * docs/abi.md — `wasm`: runtime/abi/dcm-wasm-instance.ts (one loader for
 * every WASM module with the ABI's exports, in Node and browsers);
 * `native`: runtime/native/native-glue.ts (a C-ABI plugin in a worker
 * thread). A `js` module follows no byte ABI: its language must name glue.
 * So a language whose modules follow docs/abi.md needs no runtime/ folder.
 */
import { fileURLToPath } from "node:url";
import type { ModuleTarget } from "../../runtime/abi/manifest-types.js";
import type { LanguageInfo } from "./adapter-types.js";

/** From source under vitest (.ts), from build/ otherwise (.js); the CLI bundle rewrites import.meta.url to build/. */
const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
const core = (path: string): string => fileURLToPath(new URL(`../../runtime/${path}${ext}`, import.meta.url));

/** Core's glue per target, for modules that follow docs/abi.md. */
export const ABI_GLUE: Partial<Record<ModuleTarget, string>> = {
  wasm: core("abi/dcm-wasm-instance"),
  native: core("native/native-glue"),
};

/** The glue path for a language's modules of `target`, or undefined when it builds no such module or none applies. */
export function runtimeGlueFor(language: LanguageInfo, target: ModuleTarget): string | undefined {
  const own = language.runtimeGlue?.[target];
  if (own) return own;
  const builds = language.targets.client.includes(target) || language.targets.server.includes(target);
  return builds ? ABI_GLUE[target] : undefined;
}
