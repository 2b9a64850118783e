/**
 * The state accessors of a manifest's groups (docs/abi.md "State",
 * docs/state.md) as fragments a loader can call. Every loader calls
 * `$state.<group>.get` / `.set` exactly like a fragment export (same ABI),
 * so hosts append `accessorFragments(manifest, module.language)` to
 * LoadRequest.fragments (or use `loadFragments`) and snapshot / restore a
 * group with instance.call(accessorId, []) / call(accessorId, [record]).
 *
 * Accessors are never in `manifest.fragments` nor in a module's
 * `fragments`: they are in every module of their part's language. Clients
 * must never be able to call them (isAccessorId). Browser-safe.
 */
import type { Manifest, ManifestFragment, ManifestGroup, ManifestModule, ManifestStatePart } from "./manifest-types.js";

/** Accessor ids start with this; the CFD refuses fragment ids that do (src/cfd/read-fragment.ts). */
export const ACCESSOR_PREFIX = "$state.";

export function isAccessorId(id: string): boolean {
  return id.startsWith(ACCESSOR_PREFIX);
}

function accessorFragment(part: ManifestStatePart, which: "get" | "set"): ManifestFragment {
  const a = part[which];
  const first = part.vars[0];
  return {
    id: a.id,
    language: part.language,
    kind: "function",
    symbol: a.export,
    source: first ? { file: first.source.file, line: first.source.line } : { file: "", line: 0 },
    signature: a.signature,
    abi: a.abi,
    export: a.export,
    // A snapshot can be taken twice; a restore is the state change itself.
    flags: { idempotent: which === "get", stateful: true },
    deps: { fragments: [], libs: [], globalVars: part.vars.map((v) => v.name), typeDefs: [part.record] },
  };
}

/** One ManifestFragment per state accessor (get, then set, per part, in group order); only `language`'s parts when given. */
export function accessorFragments(manifest: Manifest, language?: string): ManifestFragment[] {
  const out: ManifestFragment[] = [];
  for (const g of manifest.groups ?? []) {
    for (const p of g.state) {
      if (language !== undefined && p.language !== language) continue;
      out.push(accessorFragment(p, "get"), accessorFragment(p, "set"));
    }
  }
  return out;
}

/** What a loader of `module` needs in LoadRequest.fragments: the module's fragments, then the accessors of its language. */
export function loadFragments(manifest: Manifest, module: ManifestModule): ManifestFragment[] {
  const held = new Set(module.fragments);
  return [...manifest.fragments.filter((f) => held.has(f.id)), ...accessorFragments(manifest, module.language)];
}

/** The group `fragmentId` belongs to, or undefined (a stateless fragment moves alone). */
export function groupOf(manifest: Manifest, fragmentId: string): ManifestGroup | undefined {
  return (manifest.groups ?? []).find((g) => g.fragments.includes(fragmentId));
}

export function groupById(manifest: Manifest, groupId: string): ManifestGroup | undefined {
  return (manifest.groups ?? []).find((g) => g.id === groupId);
}

/**
 * `fragmentIds` plus every other member of their groups, sorted: what a move
 * of those fragments actually moves (a group moves as one).
 */
export function withGroups(manifest: Manifest, fragmentIds: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const id of fragmentIds) {
    out.add(id);
    for (const f of groupOf(manifest, id)?.fragments ?? []) out.add(f);
  }
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** True when `groupId`'s state carries over from `before` to `after` (a redeploy): both have it with the same stateVersion. */
export function stateCarriesOver(before: Manifest, after: Manifest, groupId: string): boolean {
  const a = groupById(before, groupId);
  const b = groupById(after, groupId);
  return a !== undefined && b !== undefined && a.stateVersion === b.stateVersion;
}
