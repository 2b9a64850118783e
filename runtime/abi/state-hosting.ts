/**
 * Hosting a dist's state accessors and groups (runtime side; the accessors
 * themselves come from state-accessors.ts): which module loads which
 * accessor, the record type of a part, the groups that hold state.
 * Browser-safe.
 */
import type { Manifest, ManifestGroup, ManifestModule, ManifestStatePart } from "./manifest-types.js";
import { accessorFragments } from "./state-accessors.js";
import type { VType } from "./value-types.js";

/** The accessor ids a module of `language` holds. */
export function accessorIdsOf(manifest: Manifest, language: string): string[] {
  const ids: string[] = [];
  for (const g of manifest.groups ?? [])
    for (const p of g.state) if (p.language === language) ids.push(p.get.id, p.set.id);
  return ids;
}

/**
 * The manifest as hosts should load it: accessor fragments appended to
 * `fragments`, and each portable or native module listing the accessors of
 * its language. The entry points are unchanged. Returns the manifest itself
 * when it has no state.
 */
export function withStateAccessors(manifest: Manifest): Manifest {
  const extra = accessorFragments(manifest);
  if (extra.length === 0) return manifest;
  const modules: ManifestModule[] = manifest.modules.map((m) => {
    const ids = accessorIdsOf(manifest, m.language);
    return ids.length ? { ...m, fragments: [...m.fragments, ...ids.filter((id) => !m.fragments.includes(id))] } : m;
  });
  return { ...manifest, fragments: [...manifest.fragments, ...extra], modules };
}

/** The record type of a part (the value `get` returns and `set` takes). */
export function partType(part: ManifestStatePart): VType {
  return { kind: "record", name: part.record };
}

/** Groups that hold state (something to transfer), by id. */
export function statefulGroups(manifest: Manifest): Map<string, ManifestGroup> {
  const out = new Map<string, ManifestGroup>();
  for (const g of manifest.groups ?? []) if (g.state.length > 0) out.set(g.id, g);
  return out;
}
