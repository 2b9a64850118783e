/**
 * Live redeploy on the client (docs/redeploy.md): an `updateFragments` with
 * `deploy` names a new build. The client loads its manifest and modules in
 * the background (from the versioned path the server gives, each module
 * checked against the new manifest's sha256) into a new executor; the
 * ClientDistributor then switches between calls and carries over the state
 * of the groups it runs whose stateVersion did not change.
 *
 * Browser-safe: relative imports with `.js` suffixes, no node: modules.
 *
 * Known limitations: state carries over only through the groups' generated
 * accessors (`$state.<group>.get/set`); an executor that cannot call them
 * (a dist built before issue 12) resets those groups and says so in the
 * event. An Executor object given to createClient cannot be made again, so
 * such a client does not redeploy (it reports the refusal).
 */
import { FragmentCallError } from "../abi/call-error.js";
import type { Manifest } from "../abi/manifest-types.js";
import type { OutputHandler } from "../abi/output-types.js";
import type { DeployInfo } from "../protocol/messages.js";
import type { ClientOptions } from "./client-distributor.js";
import type { Executor } from "./executor-types.js";
import { startExecutor } from "./load-modules.js";

export type RedeployEvent =
  | {
      /** The new dist's buildKey. */
      id: string;
      ok: true;
      /** Groups whose state restarted from its initial values (the server's list, plus any this client failed to carry). */
      stateReset: string[];
      /** Groups run here whose state carried over. */
      carried: string[];
    }
  | { id: string; ok: false; error: FragmentCallError };

export interface LoadedDeploy {
  manifest: Manifest;
  executor: Executor;
  /** The new dist folder's URL (manifest.json and the modules below it). */
  base: string;
}

function refused(message: string): FragmentCallError {
  return new FragmentCallError("DCM_REDEPLOY_LOAD_FAILED", message, "");
}

/** The http(s) origin of the server a WebSocket URL points at. */
function httpOrigin(wsUrl: string, page: string | undefined): string {
  const u = new URL(wsUrl, page);
  u.protocol = u.protocol === "wss:" ? "https:" : u.protocol === "ws:" ? "http:" : u.protocol;
  return u.origin;
}

/**
 * The folder URL of a deploy: `info.base` is a path on the server the client
 * is connected to (never another origin, never `..`).
 */
export function deployBaseUrl(info: DeployInfo, wsUrl: string, manifestBase: string | undefined): string {
  const base = info.base;
  if (typeof base !== "string" || !base.startsWith("/") || base.startsWith("//") || /(^|\/)\.\.?(\/|$)|[\\?#]/.test(base))
    throw refused(`the deploy's base ${JSON.stringify(base)?.slice(0, 200)} is not a plain absolute path on this server`);
  const page = (globalThis as { location?: { href: string } }).location?.href;
  const origin = manifestBase ? new URL(manifestBase).origin : httpOrigin(wsUrl, page);
  return new URL(base.endsWith("/") ? base : `${base}/`, origin).href;
}

/** Fetches, verifies and starts the deployed dist; rejects with DCM_REDEPLOY_LOAD_FAILED (the old modules stay). */
export async function loadDeploy(
  info: DeployInfo,
  opts: ClientOptions,
  manifestBase: string | undefined,
  onOutput: OutputHandler,
): Promise<LoadedDeploy> {
  if (opts.executor && typeof opts.executor === "object")
    throw refused("this client runs an Executor object it was given, which cannot be made again for a new dist: pass `executor` as a kind or a factory to redeploy");
  const base = deployBaseUrl(info, opts.url, manifestBase);
  const doFetch = opts.fetch ?? globalThis.fetch;
  let manifest: Manifest;
  try {
    const res = await doFetch(new URL("manifest.json", base).href);
    if (!res.ok) throw refused(`GET ${base}manifest.json: HTTP ${res.status}`);
    manifest = (await res.json()) as Manifest;
  } catch (e) {
    throw e instanceof FragmentCallError ? e : refused(`GET ${base}manifest.json: ${(e as Error)?.message ?? e}`);
  }
  if (!manifest || !Array.isArray(manifest.fragments) || !Array.isArray(manifest.modules))
    throw refused(`${base}manifest.json is not a dcm manifest`);
  if (manifest.buildKey !== info.id)
    throw refused(`${base}manifest.json is build ${String(manifest.buildKey).slice(0, 80)}, the deploy announced ${info.id}`);
  // The new dist's files come from the server, whatever loadModule/moduleUrl served the first one.
  const { loadModule: _l, moduleUrl: _u, ...fetchOpts } = opts;
  let executor: Executor;
  try {
    executor = await startExecutor(manifest, fetchOpts, base, onOutput);
  } catch (e) {
    const err = e as FragmentCallError;
    throw refused(`loading the modules of ${info.id} failed: ${err?.code ? `${err.code}: ` : ""}${err?.message ?? e}`);
  }
  try {
    await executor.ready;
  } catch (e) {
    await executor.close().catch(() => {});
    throw refused(`the modules of ${info.id} do not start: ${(e as Error)?.message ?? e}`);
  }
  return { manifest, executor, base };
}

/**
 * Copies the state of `groups` from the old executor to the new one, part by
 * part (`get` on the old instance, `set` on the new). A group whose copy
 * fails restarts from its initial values and is returned in `failed`.
 */
export async function carryState(
  from: { manifest: Manifest; executor: Executor },
  to: { manifest: Manifest; executor: Executor },
  groups: string[],
): Promise<{ carried: string[]; failed: Array<{ group: string; reason: string }> }> {
  const carried: string[] = [];
  const failed: Array<{ group: string; reason: string }> = [];
  for (const id of groups) {
    const before = from.manifest.groups?.find((g) => g.id === id);
    const after = to.manifest.groups?.find((g) => g.id === id);
    if (!before || !after || before.stateVersion !== after.stateVersion) {
      failed.push({ group: id, reason: "its state types changed" });
      continue;
    }
    try {
      for (const part of before.state) {
        const target = after.state.find((p) => p.language === part.language);
        if (!target) throw new Error(`no ${part.language} part in the new dist`);
        const record = await from.executor.call(part.get.id, []);
        await to.executor.call(target.set.id, [record]);
      }
      carried.push(id);
    } catch (e) {
      failed.push({ group: id, reason: (e as Error)?.message ?? String(e) });
    }
  }
  return { carried, failed };
}
