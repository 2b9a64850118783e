/**
 * Placement changes through the API with groups (docs/state-transfer.md):
 * every named fragment brings its group; fragments in no stateful group move
 * at once as before (one `updateFragments`); each stateful group whose side
 * changes moves with its state (server-transfers.ts), one move per client at
 * a time. Everything is checked before anything changes: unknown clients or
 * fragments, sides without a module, split groups (400 DCM_GROUP_SPLIT), and
 * stateful groups of clients that cannot take part in a move (409).
 *
 * Known limitation: a request for several clients is not atomic across
 * them: a move that fails for one client leaves the others' moves done (the
 * error names the client; GET the clients to see where everything is).
 */
import type { Side } from "../../abi/manifest-types.js";
import type { ClientRecord, ClientRegistry } from "../client-registry.js";
import { DistributorError } from "../distributor-error.js";
import type { FragmentRegistry } from "../fragment-registry.js";
import { expandGroupChanges } from "./group-placement.js";
import type { ServerTransfers } from "./server-transfers.js";
import type { StateStore } from "./state-store.js";

export interface GroupMoveDeps {
  clients: ClientRegistry;
  fragments: FragmentRegistry;
  store: StateStore;
  transfers: ServerTransfers;
}

export interface ClientMoves {
  client: ClientRecord;
  /** Fragment ids whose placement this request changed (a moved group's members included), sorted. */
  moved: string[];
}

export async function moveWithGroups(
  changes: Array<{ clientId: string; fragmentId: string; side: Side }>,
  d: GroupMoveDeps,
): Promise<ClientMoves[]> {
  const byClient = new Map<ClientRecord, Map<string, Side>>();
  for (const ch of changes) {
    const c = d.clients.get(ch.clientId);
    if (!c) throw new DistributorError("DCM_UNKNOWN_CLIENT", `no client ${JSON.stringify(ch.clientId)}`, 404);
    d.fragments.checkPlacement(ch.fragmentId, ch.side);
    const m = byClient.get(c) ?? new Map<string, Side>();
    byClient.set(c, m);
    m.set(ch.fragmentId, ch.side);
  }
  for (const [c, m] of byClient) {
    expandGroupChanges(m, d.fragments.groups, `client ${JSON.stringify(c.clientId)}: `);
    for (const [id, side] of m) d.fragments.checkPlacement(id, side);
    const stateful = [...m].filter(([id, side]) => d.store.groupOf.has(id) && c.distribution.get(id) !== side);
    if (stateful.length > 0 && c.connections.size !== 1) {
      const groups = [...new Set(stateful.map(([id]) => d.store.groupOf.get(id)!.id))].map((g) => `\`${g}\``);
      const why =
        c.connections.size === 0
          ? "is not connected; a group's state moves only with a connected client (stateless fragments move without it). Connect the client, then move again"
          : `has ${c.connections.size} open connections, each with its own state; stateful groups move only with exactly one`;
      throw new DistributorError(
        "DCM_TRANSFER_FAILED",
        `Nothing was changed: client ${JSON.stringify(c.clientId)} ${why} (group(s) ${groups.join(", ")}).`,
        409,
      );
    }
  }
  return Promise.all(
    [...byClient].map(([c, m]) => d.transfers.serial(c.clientId, () => moveClient(c, m, d))),
  );
}

async function moveClient(c: ClientRecord, m: Map<string, Side>, d: GroupMoveDeps): Promise<ClientMoves> {
  const moved: string[] = [];
  const stateless: Array<{ clientId: string; fragmentId: string; side: Side }> = [];
  const byDir = { client: new Map<string, string[]>(), server: new Map<string, string[]>() };
  for (const [id, side] of m) {
    if (c.distribution.get(id) === side) continue;
    const g = d.store.groupOf.get(id);
    if (!g) stateless.push({ clientId: c.clientId, fragmentId: id, side });
    else byDir[side].set(g.id, g.fragments);
  }
  if (stateless.length > 0) {
    d.clients.setLocations(stateless);
    moved.push(...stateless.map((s) => s.fragmentId));
  }
  for (const to of ["server", "client"] as const) {
    const ids = byDir[to];
    if (ids.size === 0) continue;
    const groups = [...ids.keys()].map((g) => d.store.groups.get(g)!);
    const members = [...ids.values()].flat();
    await d.transfers.move(
      c,
      groups,
      to,
      members.map((id) => ({ id, runOn: to })),
    );
    moved.push(...members);
  }
  return { client: c, moved: moved.sort() };
}
