/**
 * The per-client state store of a loaded dist, with each stateful group's
 * initial snapshot read from the `get` accessors of fresh instances (before
 * any call): what a new client's server-side state starts from. Used at
 * start-up and for the new dist of a live redeploy.
 */
import type { JsValue } from "../../abi/js-values.js";
import { encodeValue } from "../../abi/codec.js";
import type { ServerDist } from "../deploy/load-server-dist.js";
import { DistributorError } from "../distributor-error.js";
import type { ResolvedOptions } from "../options.js";
import { StateStore } from "./state-store.js";

export async function startStateStore(
  dist: Pick<ServerDist, "manifest" | "executer">,
  opts: Pick<ResolvedOptions, "maxStateBytesPerClient" | "callTimeoutMs">,
): Promise<StateStore> {
  const state = new StateStore(dist.manifest, opts.maxStateBytesPerClient);
  const types = dist.manifest.types;
  for (const g of state.groups.values()) {
    const parts: JsValue[] = [];
    let bytes = 0;
    for (const p of g.state) {
      const o = await dist.executer.run({ fragment: p.get.id, args: [], lane: null, client: "$dcm", timeoutMs: opts.callTimeoutMs })
        .outcome;
      if (!o.ok)
        throw new DistributorError(o.error.code, `the initial state of group ${g.id} could not be read (${p.get.id}): ${o.error.message}`);
      bytes += encodeValue({ kind: "record", name: p.record }, types, o.value).length;
      parts.push(o.value);
    }
    state.setInitial(g.id, parts, bytes);
  }
  return state;
}
