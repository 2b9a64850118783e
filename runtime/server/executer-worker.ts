/**
 * One worker thread of the Fragment Executer: loads the server modules once
 * and runs the calls the pool sends it, one at a time.
 *
 * Native plugins run in a supervised child process per worker (isolation
 * "process", the default: runtime/native/process-host.ts), so that a
 * fragment that exits, aborts or overflows its stack fails its call with
 * DCM_FRAGMENT_PANIC and the next call gets a fresh process; the process
 * dies with this thread, and the pool kills its process group, when the pool
 * terminates it. With isolation
 * "thread" (trusted plugins) they load with NativeInstance right in this
 * thread. WASM and js modules load here through their language's glue, found
 * by the main thread (a worker thread contains their exits, loops and heap).
 */
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";
import { FragmentCallError } from "../abi/call-error.js";
import type { JsValue } from "../abi/js-values.js";
import type { ManifestFragment, ManifestModule } from "../abi/manifest-types.js";
import type { LoadRequest } from "../abi/module-types.js";
import type { CallOutput } from "../abi/output-types.js";
import type { TypeTable } from "../abi/value-types.js";
import type { IsolationOptions } from "../abi/host-types.js";
import { NativeInstance } from "../native/native-instance.js";
import { startProcessHost } from "../native/process-host.js";
import { encodeValue } from "../abi/codec.js";
import type { WorkerStateCall, WorkerStateResult } from "./state/state-locks.js";

export interface WorkerModuleSpec {
  module: ManifestModule;
  /** Absolute path of the module file. */
  path: string;
  /** Absolute path or file: URL of the language glue (wasm modules). */
  glue?: string;
  fragments: ManifestFragment[];
  types: TypeTable;
  /** Native plugins: where they run (default a supervised process). */
  isolation?: IsolationOptions;
}

export interface ExecWorkerData {
  modules: WorkerModuleSpec[];
}

/** `state`: a stateful call (state/state-locks.ts): restore the client's snapshot first if given, snapshot after. */
export type ToExecWorker = { t: "call"; cid: number; id: string; args: JsValue[]; state?: WorkerStateCall };
export type FromExecWorker =
  | { t: "ready" }
  | { t: "fatal"; code: string; message: string }
  /**
   * `broken`: the module instance can no longer be trusted (a trap); the pool replaces this worker.
   * `output`: what the call printed (docs/abi.md, "Output"), when it printed anything.
   */
  | { t: "result"; cid: number; ok: true; value: JsValue; output?: CallOutput; state?: WorkerStateResult }
  | {
      t: "result";
      cid: number;
      ok: false;
      code: string;
      message: string;
      broken: boolean;
      output?: CallOutput;
      state?: WorkerStateResult;
    }
  /** A plugin process of this worker started or ended (its pid leads its process group). */
  | { t: "plugin"; pid: number; alive: boolean };

interface Runner {
  call(id: string, args: JsValue[]): JsValue | Promise<JsValue>;
  isDead?(): boolean;
  takeOutput?(): CallOutput | null;
}

const BROKEN = /^(the module trapped|the module exited|module instance is unusable)/;

function errorInfo(e: unknown): { code: string; message: string } {
  if (e instanceof FragmentCallError) return { code: e.code, message: e.message };
  // Glue bundled into a dist carries its own copy of FragmentCallError.
  const x = e as { code?: unknown; message?: unknown } | null;
  if (x && typeof x.code === "string" && x.code.startsWith("DCM_") && typeof x.message === "string")
    return { code: x.code, message: x.message };
  return { code: "DCM_FRAGMENT_PANIC", message: `executer: ${(e as Error)?.message ?? String(e)}` };
}

async function load(spec: WorkerModuleSpec): Promise<Runner> {
  const req: LoadRequest = { module: spec.module, path: spec.path, fragments: spec.fragments, types: spec.types };
  if (spec.module.target === "native") {
    if (spec.isolation?.isolation === "thread") return new NativeInstance(req);
    // Calls run one at a time per worker, so the output of the call in progress is the one that arrives.
    let output: CallOutput | null = null;
    const host = await startProcessHost(
      { ...req, onOutput: ({ fragment: _f, ...o }) => (output = o) },
      {
        syncChannel: false,
        ...(spec.isolation?.memoryLimitMb !== undefined ? { memoryLimitMb: spec.isolation.memoryLimitMb } : {}),
        // The pool kills the process group when it terminates this worker (the kernel kills only the process).
        onProcess: (pid, alive) => parentPort?.postMessage({ t: "plugin", pid, alive } satisfies FromExecWorker),
      },
    );
    return {
      call: (id, args) => host.call(id, args),
      takeOutput: () => {
        const o = output;
        output = null;
        return o;
      },
    };
  }
  if (!spec.glue)
    throw new FragmentCallError(
      "DCM_NO_MODULE_FOR_SIDE",
      `no runtime glue for ${spec.module.language} ${spec.module.target} modules`,
      "",
    );
  req.bytes = new Uint8Array(await readFile(spec.path));
  const href = spec.glue.startsWith("file:") ? spec.glue : pathToFileURL(spec.glue).href;
  const mod = (await import(href)) as { default: { load(r: LoadRequest): Promise<Runner> } };
  return mod.default.load(req);
}

async function main(): Promise<void> {
  const port = parentPort!;
  const data = workerData as ExecWorkerData;
  const runners = new Map<string, Runner>();
  try {
    for (const spec of data.modules) {
      const r = await load(spec);
      for (const f of spec.fragments) runners.set(f.id, r);
    }
  } catch (e) {
    port.postMessage({ t: "fatal", ...errorInfo(e) } satisfies FromExecWorker);
    return;
  }

  const reply = (m: FromExecWorker) => {
    try {
      port.postMessage(m);
    } catch (e) {
      // A result that cannot be cloned (the output is plain strings and always can be).
      port.postMessage({
        t: "result",
        cid: (m as { cid: number }).cid,
        ok: false,
        ...errorInfo(e),
        broken: false,
        ...((m as { output?: CallOutput }).output ? { output: (m as { output?: CallOutput }).output } : {}),
      } satisfies FromExecWorker);
    }
  };

  const types = data.modules[0]?.types ?? {};
  const runAccessor = async (id: string, args: JsValue[]): Promise<JsValue> => {
    const r = runners.get(id);
    if (!r) throw new FragmentCallError("DCM_UNKNOWN_FRAGMENT", `no server module holds state accessor \`${id}\``, id);
    const v = r.call(id, args);
    const value = v instanceof Promise ? await v : v;
    r.takeOutput?.();
    return value;
  };
  /** Restores the client's snapshot; a failure fails the call before it runs. */
  const restore = async (st: WorkerStateCall): Promise<void> => {
    if (!st.restore) return;
    for (let i = 0; i < st.set.length; i++) await runAccessor(st.set[i]!, [st.restore[i]!]);
  };
  /** The group's snapshot after a call, or undefined when it cannot be taken (the pool then restores before the next call). */
  const snapshot = async (st: WorkerStateCall): Promise<WorkerStateResult | undefined> => {
    try {
      const parts: JsValue[] = [];
      let bytes = 0;
      for (let i = 0; i < st.get.length; i++) {
        const v = await runAccessor(st.get[i]!, []);
        bytes += encodeValue({ kind: "record", name: st.records[i]! }, types, v).length;
        parts.push(v);
      }
      return { parts, bytes };
    } catch {
      return undefined;
    }
  };

  port.on("message", async (m: ToExecWorker) => {
    if (m.t !== "call") return;
    if (m.state) {
      try {
        await restore(m.state);
      } catch (e) {
        reply({ t: "result", cid: m.cid, ok: false, ...errorInfo(e), broken: false });
        return;
      }
    }
    const r = runners.get(m.id);
    if (!r) {
      reply({
        t: "result",
        cid: m.cid,
        ok: false,
        code: "DCM_UNKNOWN_FRAGMENT",
        message: `no server module holds fragment \`${m.id}\``,
        broken: false,
      });
      return;
    }
    try {
      const v = r.call(m.id, m.args);
      const value = v instanceof Promise ? await v : v;
      const output = r.takeOutput?.();
      const state = m.state ? await snapshot(m.state) : undefined;
      reply({ t: "result", cid: m.cid, ok: true, value, ...(output ? { output } : {}), ...(state ? { state } : {}) });
    } catch (e) {
      const info = errorInfo(e);
      const output = r.takeOutput?.();
      const broken = r.isDead?.() ?? (info.code === "DCM_FRAGMENT_PANIC" && BROKEN.test(info.message));
      const state = m.state && !broken ? await snapshot(m.state) : undefined;
      reply({
        t: "result",
        cid: m.cid,
        ok: false,
        ...info,
        broken,
        ...(output ? { output } : {}),
        ...(state ? { state } : {}),
      });
    }
  });
  port.postMessage({ t: "ready" } satisfies FromExecWorker);
}

void main();
