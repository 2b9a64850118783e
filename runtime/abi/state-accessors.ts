/**
 * The state accessors of a manifest's groups (docs/state.md), seen as
 * fragments: every host loads and calls them exactly like fragment exports
 * (same buffer ABI), so the runtimes append them to what a module's host is
 * asked to load. Their ids (`$state.<group>.get|set`) are never callable by
 * clients: the distributors refuse them as unknown fragments. Browser-safe.
 */
import type { Manifest, ManifestFragment, ManifestStatePart } from "./manifest-types.js";

/** The prefix of every accessor id. */
export const STATE_ACCESSOR_PREFIX = "$state.";

export function isAccessorId(id: string): boolean {
  return id.startsWith(STATE_ACCESSOR_PREFIX);
}

function accessorFragment(part: ManifestStatePart, which: "get" | "set"): ManifestFragment {
  const a = part[which];
  const first = part.vars[0]?.source ?? { file: "", line: 0 };
  return {
    id: a.id,
    language: part.language,
    kind: "function",
    symbol: a.export,
    source: first,
    signature: a.signature,
    abi: a.abi,
    export: a.export,
    flags: { idempotent: which === "get", stateful: true },
    deps: { fragments: [], libs: [], globalVars: part.vars.map((v) => v.name), typeDefs: [part.record] },
  };
}

/** Every accessor of every group part, as fragments (get before set, groups in manifest order). */
export function accessorFragments(manifest: Manifest): ManifestFragment[] {
  const out: ManifestFragment[] = [];
  for (const g of manifest.groups ?? []) {
    for (const p of g.state) out.push(accessorFragment(p, "get"), accessorFragment(p, "set"));
  }
  return out;
}

