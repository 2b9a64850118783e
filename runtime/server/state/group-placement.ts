/**
 * Groups move as one (docs/state-transfer.md): a placement change of one
 * member applies to every member of its group, and a request that names two
 * members of one group with different sides is refused (DCM_GROUP_SPLIT).
 * A CFD may still give a group's members different `runOn`s: the group then
 * starts on the server when any member says server (where its writers
 * usually are) — the distributor logs which groups it joined.
 */
import type { Manifest, ManifestGroup, Side } from "../../abi/manifest-types.js";
import { DistributorError } from "../distributor-error.js";

/** Entry-point fragment id -> its group (groups with or without state). */
export function groupIndex(manifest: Manifest): Map<string, ManifestGroup> {
  const out = new Map<string, ManifestGroup>();
  for (const g of manifest.groups ?? []) for (const f of g.fragments) out.set(f, g);
  return out;
}

/**
 * The defaults with every group on one side; `joined` lists the groups the
 * CFD had split (for a log line). `canRun(id, side)` says whether a module
 * for that side holds the fragment.
 */
export function joinGroupDefaults(
  manifest: Manifest,
  defaults: Map<string, Side>,
  canRun: (id: string, side: Side) => boolean,
): { joined: Array<{ group: string; side: Side }> } {
  const joined: Array<{ group: string; side: Side }> = [];
  for (const g of manifest.groups ?? []) {
    const sides = new Set(g.fragments.map((f) => defaults.get(f)).filter((s): s is Side => s !== undefined));
    if (sides.size < 2) continue;
    const side: Side = g.fragments.every((f) => canRun(f, "server")) ? "server" : "client";
    for (const f of g.fragments) if (defaults.has(f)) defaults.set(f, side);
    joined.push({ group: g.id, side });
  }
  return { joined };
}

/**
 * Adds every member of a named fragment's group to `changes` (fragment ->
 * side), in place. Throws DistributorError DCM_GROUP_SPLIT (400) when two
 * members of a group are named with different sides.
 */
export function expandGroupChanges(
  changes: Map<string, Side>,
  groups: Map<string, ManifestGroup>,
  who = "",
): void {
  const decided = new Map<string, { side: Side; by: string; g: ManifestGroup }>();
  for (const [id, side] of changes) {
    const g = groups.get(id);
    if (!g) continue;
    const d = decided.get(g.id);
    if (d && d.side !== side) {
      throw new DistributorError(
        "DCM_GROUP_SPLIT",
        `${who}fragments \`${d.by}\` (to ${d.side}) and \`${id}\` (to ${side}) are in group \`${g.id}\` (${g.fragments.join(", ")}), which moves as one because its fragments share module-level state${g.reasons.includes("cfd") ? " or the CFD's `group:`" : ""}. Give every member the same side, or name one member and the group follows.`,
        400,
      );
    }
    decided.set(g.id, { side, by: id, g });
  }
  for (const { side, g } of decided.values()) {
    for (const f of g.fragments) changes.set(f, side);
  }
}
