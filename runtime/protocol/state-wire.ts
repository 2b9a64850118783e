/**
 * A group's snapshot on the wire (GroupState of messages.ts): the parts'
 * records as wire values, the sender's stateVersion and a sha256 over
 * JSON.stringify(parts). Shared by both State Managers. Browser-safe: the
 * digest is WebCrypto's (globalThis.crypto.subtle, also in Node 20), or
 * abi/sha256.ts where a page has no crypto.subtle (not a secure context).
 */
import { FragmentCallError } from "../abi/call-error.js";
import type { JsValue } from "../abi/js-values.js";
import type { ManifestGroup } from "../abi/manifest-types.js";
import { sha256HexSync } from "../abi/sha256.js";
import { partType } from "../abi/state-hosting.js";
import type { TypeTable } from "../abi/value-types.js";
import type { GroupState } from "./messages.js";
import { fromWire, toWire } from "./wire-values.js";

function hex(buf: ArrayBuffer): string {
  const b = new Uint8Array(buf);
  let s = "";
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, "0");
  return s;
}

export async function sha256Hex(text: string): Promise<string> {
  const bytes = new TextEncoder().encode(text);
  const subtle = globalThis.crypto?.subtle;
  // Pages outside a secure context (plain http from another host) have no crypto.subtle.
  if (!subtle) return sha256HexSync(bytes);
  return hex(await subtle.digest("SHA-256", bytes));
}

/** Encodes a group's snapshot (one JS value per part, in part order) for `stateTransfer`. */
export async function groupStateToWire(group: ManifestGroup, parts: JsValue[], types: TypeTable): Promise<GroupState> {
  if (parts.length !== group.state.length)
    throw new FragmentCallError("DCM_TRANSFER_FAILED", `group \`${group.id}\`: ${parts.length} parts for ${group.state.length}`, "");
  const wire = group.state.map((p, i) => toWire(parts[i], partType(p), types));
  return { group: group.id, stateVersion: group.stateVersion, parts: wire, checksum: await sha256Hex(JSON.stringify(wire)) };
}

/**
 * Checks a received snapshot against this side's group (stateVersion, part
 * count, checksum, types) and decodes it. Throws FragmentCallError
 * DCM_TRANSFER_FAILED saying what is wrong; nothing is restored then.
 */
export async function groupStateFromWire(group: ManifestGroup, gs: unknown, types: TypeTable): Promise<JsValue[]> {
  const fail = (why: string): never => {
    throw new FragmentCallError("DCM_TRANSFER_FAILED", `the state of group \`${group.id}\` was refused: ${why}`, "");
  };
  if (typeof gs !== "object" || gs === null) return fail("not an object");
  const g = gs as Partial<GroupState>;
  if (g.stateVersion !== group.stateVersion)
    fail(`stateVersion ${JSON.stringify(g.stateVersion)?.slice(0, 80)} is not this dist's ${group.stateVersion} (the two sides run different builds)`);
  if (!Array.isArray(g.parts) || g.parts.length !== group.state.length)
    fail(`expected ${group.state.length} part(s), got ${Array.isArray(g.parts) ? g.parts.length : "none"}`);
  if (typeof g.checksum !== "string") fail("no checksum");
  const sum = await sha256Hex(JSON.stringify(g.parts));
  if (sum !== g.checksum) fail("the checksum does not match the parts (corrupted or forged)");
  try {
    return group.state.map((p, i) => fromWire(g.parts![i], partType(p), types));
  } catch (e) {
    return fail(`a part does not fit its record type: ${(e as Error).message}`);
  }
}
