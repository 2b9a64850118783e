/**
 * What every generator of a docs/abi.md module decides the same way: the ABI
 * of a fragment (`scalar` when every parameter and the one result, if any, is
 * a bool, int or float and there is no error result; else `buffer`) and the
 * export name of each callable fragment (`dcm_f_<id>`). Adapters take both
 * from here so that a new language cannot pick them differently from the
 * hosts (runtime/abi/scalar-abi.ts decides the scalar ABI for the hosts).
 */
import { isScalarSignature } from "../../../runtime/abi/scalar-abi.js";
import type { CallAbi, Signature } from "../../../runtime/abi/value-types.js";
import type { AnalyzedFragment } from "../adapter-types.js";

/** The ABI a fragment of this signature uses (docs/abi.md, `scalar` and `buffer`). */
export function chooseAbi(sig: Signature): CallAbi {
  return isScalarSignature(sig) ? "scalar" : "buffer";
}

/** A function or method whose signature crosses the boundary: it gets an export. */
export function isCallableFragment(f: Pick<AnalyzedFragment, "kind" | "signature">): boolean {
  return (f.kind === "function" || f.kind === "method") && f.signature !== undefined;
}

/** Prefix of every fragment export (`dcm_f_<id>`). */
export const EXPORT_PREFIX = "dcm_f_";

/** Code-unit order, independent of locale (generated code must not depend on the machine). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The export name (`dcm_f_<id>`, anything but ASCII letters, digits and `_`
 * as `_`) of every callable fragment; ids that come out the same get `_2`,
 * `_3`… in id order. Call it with all fragments of the language's analysis
 * (not one module's): a fragment then has the same export in its client and
 * server modules, as the manifest has one `export` per fragment.
 * `callable` narrows what gets an export (default: isCallableFragment).
 */
export function exportNames(
  fragments: AnalyzedFragment[],
  callable: (f: AnalyzedFragment) => boolean = isCallableFragment,
): Record<string, string> {
  const ids = [...new Set(fragments.filter(callable).map((f) => f.id))].sort(compareIds);
  const used = new Set<string>();
  const out: Record<string, string> = {};
  for (const id of ids) {
    const base = `${EXPORT_PREFIX}${id.replace(/[^A-Za-z0-9_]/g, "_") || "_"}`;
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    out[id] = name;
  }
  return out;
}

/** `dcm_f_x` → `x`: what a generator may append to its own helper names. */
export function exportSuffix(exportName: string): string {
  return exportName.startsWith(EXPORT_PREFIX) ? exportName.slice(EXPORT_PREFIX.length) : exportName;
}

/**
 * The export names of the state accessors of the n-th group part of a build
 * (docs/abi.md "State"): `dcm_state_get_<n>` / `dcm_state_set_<n>`. They never
 * collide with fragment exports (`dcm_f_…`).
 */
export function stateExportNames(n: number): { get: string; set: string } {
  return { get: `dcm_state_get_${n}`, set: `dcm_state_set_${n}` };
}
