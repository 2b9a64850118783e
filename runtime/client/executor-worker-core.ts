/**
 * The worker side of the worker executor: on `init` it instantiates every
 * module once, then runs each `call` on those instances, in arrival order.
 * Entry points: `executor-worker.ts` (Web Worker) and
 * `executor-worker-node.ts` (Node worker_threads). Browser-safe.
 */
import { FragmentCallError } from "../abi/call-error.js";
import { type SigCodec, sigCodec } from "../abi/codec.js";
import type { JsValue } from "../abi/js-values.js";
import type { ManifestFragment } from "../abi/manifest-types.js";
import { DecodeError } from "../abi/value-errors.js";
import type { TypeTable } from "../abi/value-types.js";
import { Reader, Writer } from "../abi/wire-io.js";
import type { Endpoint, FromWorker, ToWorker } from "./executor-types.js";
import {
  CALL,
  type Channel,
  channelOf,
  copyOut,
  DONE,
  FRAG,
  ID,
  IDLE,
  KIND,
  KIND_ERR,
  KIND_OK,
  LEN,
  POSTED,
  SPIN_MS,
  STATE,
  WAIT_MS,
  WAKE,
} from "./fast-channel.js";
import { ModuleHost, toCallError } from "./module-host.js";

/** Posts what the last call of `fragment` printed, if anything, ahead of the call's answer. */
function sendOutput(host: ModuleHost, fragment: string, send: (m: FromWorker) => void): void {
  const output = host.takeOutput(fragment);
  if (output) send({ t: "output", fragment, output });
}

/**
 * The worker side of the shared-memory fast path (fast-channel.ts): a loop
 * that waits for calls in the control block and returns to the event loop on
 * WAKE or after WAIT_MS idle.
 */
function serveChannel(
  ch: Channel,
  host: ModuleHost,
  fragments: ManifestFragment[],
  types: TypeTable,
  send: (m: FromWorker) => void,
): { schedule: () => void } {
  const { ctl, data } = ch;
  const codecs: Array<SigCodec | null | undefined> = [];
  const codecAt = (i: number): SigCodec | null => {
    let c = codecs[i];
    if (c === undefined) {
      const sig = fragments[i]?.signature;
      c = sig ? sigCodec(sig, types) : null;
      codecs[i] = c;
    }
    return c;
  };
  const w = new Writer(4096);
  const r = new Reader();
  const enc = new TextEncoder();
  const now = () => performance.now();
  let lastCall = -1e9;

  const answer = (id: number, msg: FromWorker, kind: number, bytes: Uint8Array | null) => {
    if (bytes && bytes.length <= data.length) {
      data.set(bytes);
      ctl[KIND] = kind;
      ctl[LEN] = bytes.length;
      Atomics.store(ctl, STATE, DONE);
    } else {
      send(msg);
      Atomics.store(ctl, STATE, POSTED);
    }
    Atomics.notify(ctl, STATE);
    void id;
  };

  const runFast = () => {
    const id = ctl[ID]!;
    const fi = ctl[FRAG]!;
    const len = ctl[LEN]!;
    const f = fragments[fi];
    const fragment = f?.id ?? "";
    const fail = (e: unknown, fatal: boolean) => {
      const err = toCallError(e, fragment);
      const error = { code: err.code, message: err.message, fragment: err.fragment };
      answer(id, { t: "err", id, error, fatal }, KIND_ERR, enc.encode(JSON.stringify({ ...error, fatal })));
    };
    const codec = codecAt(fi);
    if (!codec) {
      fail(new FragmentCallError("DCM_NO_MODULE_FOR_SIDE", `no signature for fragment #${fi}`, fragment), false);
      return;
    }
    let args: JsValue[];
    try {
      args = codec.readArgs(r.from(copyOut(ch, len)));
    } catch (e) {
      fail(
        e instanceof DecodeError
          ? new FragmentCallError("DCM_BAD_ARGUMENTS", `arguments do not decode: ${e.message}`, fragment)
          : e,
        false,
      );
      return;
    }
    let value: JsValue;
    try {
      value = host.callSync(fragment, args);
    } catch (e) {
      sendOutput(host, fragment, send);
      fail(e, host.deadFor(fragment));
      return;
    }
    sendOutput(host, fragment, send);
    let bytes: Uint8Array | null = null;
    try {
      w.pos = 0;
      codec.writeResult(w, { status: 0, value });
      bytes = w.buf.subarray(0, w.pos);
    } catch {
      bytes = null; // sent by postMessage instead
    }
    answer(id, { t: "ok", id, value }, KIND_OK, bytes);
  };

  let scheduled = false;
  const loop = () => {
    scheduled = false;
    for (;;) {
      const s = Atomics.load(ctl, STATE);
      if (s === CALL) {
        runFast();
        lastCall = now();
        continue;
      }
      if (s === WAKE) {
        if (Atomics.compareExchange(ctl, STATE, WAKE, IDLE) === WAKE) break;
        continue;
      }
      // IDLE, or an answer the pool has not read yet: spin briefly after a call, then sleep.
      if (now() - lastCall < 2) {
        const until = now() + SPIN_MS;
        while (Atomics.load(ctl, STATE) === s && now() < until) {}
        if (Atomics.load(ctl, STATE) !== s) continue;
      }
      if (Atomics.wait(ctl, STATE, s, WAIT_MS) === "timed-out") break;
    }
    schedule();
  };
  // Back to the loop through a macrotask (no timer clamping), so that messages get their turn. Node drains a
  // MessagePort's queue in one go (a self-posting port would starve parentPort): setImmediate there.
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  let post: () => void;
  if (immediate) post = () => immediate(loop);
  else {
    const mc = new MessageChannel();
    mc.port1.onmessage = loop;
    post = () => mc.port2.postMessage(0);
  }
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    post();
  };
  return { schedule };
}

export function serveExecutor(ep: Endpoint): void {
  let host: ModuleHost | null = null;
  /** Settles once `init` arrived and the modules are instantiated (or failed to); calls chain on it until drained. */
  let initDone!: () => void;
  let chain: Promise<void> = new Promise<void>((ok) => {
    initDone = ok;
  });
  let loaded = false;
  let queued = 0;
  let initError: { code: string; message: string } | null = null;
  const send = (m: FromWorker) => ep.postMessage(m);
  let fast: { schedule: () => void } | null = null;

  const run = (id: number, fragment: string, args: JsValue[]) => {
    try {
      const value = host!.callSync(fragment, args);
      sendOutput(host!, fragment, send);
      send({ t: "ok", id, value });
    } catch (e) {
      sendOutput(host!, fragment, send);
      const err = toCallError(e, fragment);
      const fatal = host!.deadFor(fragment);
      send({ t: "err", id, error: { code: err.code, message: err.message, fragment: err.fragment }, fatal });
    }
  };

  ep.onMessage((data) => {
    const msg = data as ToWorker;
    if (msg.t === "init") {
      if (host) return;
      host = new ModuleHost(msg.modules, msg.manifest.fragments, msg.manifest.types);
      host.load().then(
        () => {
          loaded = true;
          if (msg.channel && host) {
            fast = serveChannel(channelOf(msg.channel), host, msg.manifest.fragments, msg.manifest.types, send);
          }
          send({ t: "ready" });
          fast?.schedule();
          initDone();
        },
        (e) => {
          const err = toCallError(e, "");
          initError = { code: err.code, message: err.message };
          send({ t: "initError", error: { ...initError, fragment: "" } });
          initDone();
        },
      );
      return;
    }
    if (msg.t !== "call") return;
    const { id, fragment, args } = msg;
    if (loaded && queued === 0) {
      run(id, fragment, args);
      fast?.schedule();
    } else {
      // Calls that arrive before the modules are instantiated wait for them, in arrival order.
      queued++;
      chain = chain.then(() => {
        queued--;
        if (initError) send({ t: "err", id, error: { ...initError, fragment } });
        else run(id, fragment, args);
      });
    }
  });
}
