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

// Lookups for hosts and the placement of groups (core's part of issue 12).
import type { ManifestGroup, ManifestModule } from "./manifest-types.js";

/** The accessors of `language`'s group parts: what every module of that language exports besides its fragments. */
export function accessorFragmentsOf(manifest: Manifest, language: string): ManifestFragment[] {
  return accessorFragments(manifest).filter((f) => f.language === language);
}

/** What a loader of `module` needs in LoadRequest.fragments: the module's fragments, then the accessors of its language. */
export function loadFragments(manifest: Manifest, module: ManifestModule): ManifestFragment[] {
  const held = new Set(module.fragments);
  return [...manifest.fragments.filter((f) => held.has(f.id)), ...accessorFragmentsOf(manifest, module.language)];
}

/** The group `fragmentId` belongs to, or undefined (a stateless fragment moves alone). */
export function groupOf(manifest: Manifest, fragmentId: string): ManifestGroup | undefined {
  return (manifest.groups ?? []).find((g) => g.fragments.includes(fragmentId));
}

export function groupById(manifest: Manifest, groupId: string): ManifestGroup | undefined {
  return (manifest.groups ?? []).find((g) => g.id === groupId);
}

/** `fragmentIds` plus every other member of their groups, sorted: what a move of those fragments moves (a group moves as one). */
export function withGroups(manifest: Manifest, fragmentIds: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const id of fragmentIds) {
    out.add(id);
    for (const f of groupOf(manifest, id)?.fragments ?? []) out.add(f);
  }
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** True when `groupId`'s state carries over from `before` to `after` (a redeploy): both have it, with the same stateVersion. */
export function stateCarriesOver(before: Manifest, after: Manifest, groupId: string): boolean {
  const a = groupById(before, groupId);
  const b = groupById(after, groupId);
  return a !== undefined && b !== undefined && a.stateVersion === b.stateVersion;
}
