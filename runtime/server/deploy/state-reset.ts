/**
 * Which state groups survive a live redeploy (docs/redeploy.md): a group's
 * state carries over when the new dist has a group of the same id with the
 * same `stateVersion` (same languages, var names and types); every other
 * group of the old dist with state restarts from its initial values.
 */
import type { Manifest } from "../../abi/manifest-types.js";

/** Ids of the old dist's groups with state that do not carry over to `next`, sorted. */
export function stateResetGroups(previous: Manifest, next: Manifest): string[] {
  const after = new Map((next.groups ?? []).map((g) => [g.id, g.stateVersion]));
  const reset: string[] = [];
  for (const g of previous.groups ?? []) {
    if (g.state.length === 0) continue;
    if (after.get(g.id) !== g.stateVersion) reset.push(g.id);
  }
  return reset.sort();
}

/** Ids of the groups with state whose state carries over from `previous` to `next`, sorted. */
export function carriedGroups(previous: Manifest, next: Manifest): string[] {
  const reset = new Set(stateResetGroups(previous, next));
  return (previous.groups ?? [])
    .filter((g) => g.state.length > 0 && !reset.has(g.id))
    .map((g) => g.id)
    .sort();
}
