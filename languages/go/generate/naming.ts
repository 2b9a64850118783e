/**
 * Names the generator invents: Go identifiers for packages and per-type codec
 * functions. All of them are deterministic. Export names of fragments
 * (`dcm_f_<id>`) and the id order come from the kit (src/languages/kit/abi-exports.ts).
 */
import type { AnalyzedFragment } from "../../../src/languages/adapter-types.js";

export { compareIds as compareStrings, exportNames, exportSuffix } from "../../../src/languages/kit/abi-exports.js";

export function isCallable(f: AnalyzedFragment): boolean {
  return f.kind === "function" || f.kind === "method";
}

/** ASCII letters, digits and `_`; anything else becomes `_`. */
export function sanitizeIdent(s: string): string {
  const out = s.replace(/[^A-Za-z0-9_]/g, "_");
  return out === "" ? "_" : out;
}


/** Assigns unique names from preferred ones, in the order of `keys` (callers sort them). */
export function uniqueNames(keys: string[], preferred: (key: string) => string): Map<string, string> {
  const used = new Set<string>();
  const out = new Map<string, string>();
  for (const k of keys) {
    const base = preferred(k);
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}${n}`;
    used.add(name);
    out.set(k, name);
  }
  return out;
}
