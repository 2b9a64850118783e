/**
 * Names the generator invents: export names of fragments, Go identifiers for
 * packages and per-type codec functions. All of them are deterministic.
 */
import type { AnalyzedFragment } from "../../../src/languages/adapter-types.js";

export function isCallable(f: AnalyzedFragment): boolean {
  return f.kind === "function" || f.kind === "method";
}

/** ASCII letters, digits and `_`; anything else becomes `_`. */
export function sanitizeIdent(s: string): string {
  const out = s.replace(/[^A-Za-z0-9_]/g, "_");
  return out === "" ? "_" : out;
}

/**
 * The export name (`dcm_f_<id>`) of every callable fragment. Computed over all
 * fragments of the language, not one module's, so that a fragment has the same
 * export name in its client and server modules (the manifest has one `export`).
 * Ids that sanitize to the same name get `_2`, `_3`… in id order.
 */
export function exportNames(fragments: AnalyzedFragment[]): Record<string, string> {
  const ids = [...new Set(fragments.filter(isCallable).map((f) => f.id))].sort(compareStrings);
  const used = new Set<string>();
  const out: Record<string, string> = {};
  for (const id of ids) {
    const base = `dcm_f_${sanitizeIdent(id)}`;
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    out[id] = name;
  }
  return out;
}

/** `dcm_f_x` → `x`: the suffix shared by the export and the package-side alias `DcmFn_x`. */
export function exportSuffix(exportName: string): string {
  return exportName.slice("dcm_f_".length);
}

/** Code-unit order, independent of locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
