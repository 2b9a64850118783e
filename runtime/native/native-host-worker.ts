/**
 * The worker thread of a native host: loads the plugin with koffi and serves
 * async calls (messages, values by structured clone) and sync calls (bytes
 * over the SharedArrayBuffer channel). Calls run one at a time, as the ABI
 * requires per context.
 */
import { parentPort, workerData } from "node:worker_threads";
import { FragmentCallError } from "../abi/call-error.js";
import type { JsValue } from "../abi/js-values.js";
import type { LoadRequest } from "../abi/module-types.js";
import type { CallOutput } from "../abi/output-types.js";
import { Writer } from "../abi/wire-io.js";
import { NativeInstance } from "./native-instance.js";
import { RESP_ERROR, RESP_FRAME, SyncChannel } from "./sync-channel.js";

export interface NativeWorkerData {
  req: LoadRequest;
  sab: SharedArrayBuffer;
  workerSpinMicros: number;
}

export interface CallMsg {
  cid: number;
  id: string;
  args: JsValue[];
}
/** `output`: what the call printed (docs/abi.md, "Output"), when it printed anything. */
export type Reply =
  | { cid: number; ok: true; value: JsValue; output?: CallOutput }
  | { cid: number; ok: false; code: string; message: string; output?: CallOutput };
/** Calls made in one tick travel as one message, and so do their replies. */
export type ToWorker = { t: "calls"; calls: CallMsg[] } | { t: "close" };
export type FromWorker =
  | { t: "ready" }
  | { t: "fatal"; code: string; message: string }
  | { t: "replies"; replies: Reply[] }
  /** Output of a sync call (those answer through the channel, which carries results only). */
  | { t: "output"; id: string; output: CallOutput }
  | { t: "closed" };

export function errorInfo(e: unknown): { code: string; message: string } {
  if (e instanceof FragmentCallError) return { code: e.code, message: e.message };
  return { code: "DCM_FRAGMENT_PANIC", message: `native host: ${(e as Error)?.message ?? String(e)}` };
}

const port = parentPort!;
const data = workerData as NativeWorkerData;
let inst: NativeInstance | undefined;
try {
  inst = new NativeInstance(data.req);
} catch (e) {
  port.postMessage({ t: "fatal", ...errorInfo(e) } satisfies FromWorker);
}

if (inst) {
  const instance = inst;
  port.on("message", (m: ToWorker) => {
    if (m.t === "close") {
      instance.close();
      port.postMessage({ t: "closed" } satisfies FromWorker);
      return;
    }
    const replies: Reply[] = m.calls.map((c) => {
      let r: Reply;
      try {
        r = { cid: c.cid, ok: true, value: instance.call(c.id, c.args) };
      } catch (e) {
        r = { cid: c.cid, ok: false, ...errorInfo(e) };
      }
      const output = instance.takeOutput();
      if (output) r.output = output;
      return r;
    });
    try {
      port.postMessage({ t: "replies", replies } satisfies FromWorker);
    } catch {
      // A value that cannot be cloned: send the replies one by one so that only that call fails.
      for (const r of replies) {
        try {
          port.postMessage({ t: "replies", replies: [r] } satisfies FromWorker);
        } catch (e) {
          port.postMessage({
            t: "replies",
            replies: [{ cid: r.cid, ok: false, ...errorInfo(e) }],
          } satisfies FromWorker);
        }
      }
    }
  });

  const ids = data.req.fragments.map((f) => f.id);
  const channel = new SyncChannel(data.sab);
  const out = new Writer(4096);
  const encoder = new TextEncoder();
  const answer = (kind: number, bytes: Uint8Array): [number, number] => {
    if (!channel.reserve(bytes.length)) {
      return answer(
        RESP_ERROR,
        encoder.encode(
          JSON.stringify({
            code: "DCM_FRAGMENT_PANIC",
            message: `result of ${bytes.length} bytes is too large for a sync call`,
          }),
        ),
      );
    }
    channel.data.set(bytes);
    return [kind, bytes.length];
  };
  channel.serve((index, len) => {
    const id = ids[index] ?? "";
    let res: [number, number];
    try {
      instance.callFrame(id, channel.data.subarray(0, len), out);
      res = answer(RESP_FRAME, out.buf.subarray(0, out.pos));
    } catch (e) {
      res = answer(RESP_ERROR, encoder.encode(JSON.stringify(errorInfo(e))));
    }
    const output = instance.takeOutput();
    if (output) port.postMessage({ t: "output", id, output } satisfies FromWorker);
    return res;
  }, data.workerSpinMicros);

  port.postMessage({ t: "ready" } satisfies FromWorker);
}
