/**
 * A FragmentInstance over any WebAssembly module that follows docs/abi.md,
 * whatever language built it. Runs in Node and in browsers.
 *
 * Each fragment gets a call closure built once at load: scalar fragments
 * call their export directly with converted numbers and then read the status
 * cell; buffer fragments encode into the module's input buffer and decode the
 * frame straight out of its memory.
 *
 * Output (docs/abi.md, "Output"): what the module writes through WASI fd 1
 * and 2 lands in its shim's capture; a module that captures its own prints
 * (Rust, whose wasm32 target has no stdout) exports `dcm_output_ptr` and
 * `dcm_take_output`. takeOutput() merges both, once per call.
 */

import { WasiExit, type WasiOptions, WasiShim } from "../wasi/wasi-shim.js";
import { FragmentCallError } from "./call-error.js";
import { readOutputFrame } from "./call-output.js";
import {
  arityError,
  type BufferPlan,
  type CallFn,
  notCallable,
  planFragment,
  type ScalarPlan,
  scalarArgs,
  scalarPanic,
  unknownFragment,
} from "./call-plan.js";
import type { JsValue } from "./js-values.js";
import type { FragmentInstance, LoadRequest, ModuleLoader } from "./module-types.js";
import type { CallOutput } from "./output-types.js";
import { badArgument } from "./value-errors.js";
import { Reader, Writer } from "./wire-io.js";

export const ABI_VERSION = 1;

type WasmFn = (...args: Array<number | bigint>) => number | bigint | undefined;

interface DcmExports {
  memory: WebAssembly.Memory;
  _initialize?: () => void;
  dcm_abi_version: () => number;
  dcm_status_ptr: () => number;
  dcm_in: (len: number) => number;
  dcm_out: () => number;
  /** Optional (docs/abi.md, "Output"): the module's own capture of what it printed. */
  dcm_output_ptr?: () => number;
  dcm_take_output?: () => number;
  [name: string]: unknown;
}

function loadError(module: string, message: string): FragmentCallError {
  return new FragmentCallError("DCM_MODULE_CORRUPT", `${module}: ${message}`, "");
}

export class DcmWasmInstance implements FragmentInstance {
  readonly wasi: WasiShim;
  private readonly ex: DcmExports;
  private readonly calls = new Map<string, CallFn | null>();
  /** The manifest's reason for each fragment this module holds but cannot call. */
  private readonly refusals = new Map<string, string | undefined>();
  private readonly writer = new Writer(4096);
  private readonly reader = new Reader();
  private readonly statusIndex: number;
  /** Index in `i32` of the module's output cell (non-zero: output waits), or -1 without one. */
  private readonly outputIndex: number = -1;
  private u8: Uint8Array;
  private dv: DataView;
  private i32: Int32Array;
  /** Set once the module trapped or exited: its runtime state can no longer be trusted. */
  private dead: string | null = null;

  constructor(instance: WebAssembly.Instance, wasi: WasiShim, req: LoadRequest) {
    const name = req.module.file;
    this.ex = instance.exports as unknown as DcmExports;
    this.wasi = wasi;
    if (!(this.ex.memory instanceof WebAssembly.Memory)) throw loadError(name, "exports no memory");
    wasi.bind(this.ex.memory);
    for (const f of ["dcm_abi_version", "dcm_status_ptr", "dcm_in", "dcm_out"]) {
      if (typeof this.ex[f] !== "function") throw loadError(name, `does not export ${f}`);
    }
    this.ex._initialize?.();
    const version = this.ex.dcm_abi_version();
    if (version !== ABI_VERSION)
      throw loadError(name, `speaks dcm ABI version ${version}; this runtime speaks ${ABI_VERSION}`);
    const statusPtr = this.ex.dcm_status_ptr();
    if (statusPtr % 4 !== 0) throw loadError(name, `status cell at ${statusPtr} is not 4-byte aligned`);
    this.statusIndex = statusPtr / 4;
    if (typeof this.ex.dcm_output_ptr === "function" && typeof this.ex.dcm_take_output === "function") {
      const cell = this.ex.dcm_output_ptr();
      if (cell % 4 !== 0) throw loadError(name, `output cell at ${cell} is not 4-byte aligned`);
      this.outputIndex = cell / 4;
    }
    this.u8 = new Uint8Array(this.ex.memory.buffer);
    this.dv = new DataView(this.ex.memory.buffer);
    this.i32 = new Int32Array(this.ex.memory.buffer);
    for (const f of req.fragments) {
      const plan = planFragment(f, req.types);
      if (!plan) {
        this.calls.set(f.id, null);
        this.refusals.set(f.id, f.notCallable);
        continue;
      }
      const fn = this.ex[plan.export];
      if (typeof fn !== "function") throw loadError(name, `does not export ${plan.export} (fragment ${f.id})`);
      this.calls.set(
        f.id,
        plan.abi === "scalar" ? this.scalarCall(plan, fn as WasmFn) : this.bufferCall(plan, fn as WasmFn),
      );
    }
  }

  call(fragmentId: string, args: JsValue[]): JsValue {
    const fn = this.calls.get(fragmentId);
    if (fn) return fn(args);
    if (fn === null) throw notCallable(fragmentId, this.refusals.get(fragmentId));
    throw unknownFragment(fragmentId, this.calls.keys());
  }

  isDead(): boolean {
    return this.dead !== null;
  }

  /** What the last call printed (hosts call this after every call, whether it returned or threw). */
  takeOutput(): CallOutput | null {
    const cap = this.wasi.output;
    if (this.outputIndex >= 0) {
      let cell = this.i32[this.outputIndex];
      if (cell === undefined) {
        this.refresh();
        cell = this.i32[this.outputIndex];
      }
      if (cell) this.takeModuleOutput();
    }
    return cap.pending ? cap.take() : null;
  }

  private takeModuleOutput(): void {
    try {
      const n = this.ex.dcm_take_output!();
      const out = this.ex.dcm_out();
      this.refresh();
      if (n > 0 && out + n <= this.u8.length) readOutputFrame(this.u8.subarray(out, out + n), this.wasi.output);
    } catch {
      // A module that trapped may not hand its output over: what it printed is lost, the error is not.
    }
  }

  close(): void {
    this.dead ??= "the instance was closed";
    this.calls.clear();
  }

  /** Views over memory; the module may have grown it (which detaches the old buffer). */
  private refresh(): void {
    const buf = this.ex.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.dv = new DataView(buf);
    this.i32 = new Int32Array(buf);
  }

  private status(): number {
    const s = this.i32[this.statusIndex];
    if (s !== undefined) return s;
    this.refresh();
    return this.i32[this.statusIndex]!;
  }

  private checkAlive(id: string): void {
    if (this.dead !== null)
      throw new FragmentCallError("DCM_FRAGMENT_PANIC", `module instance is unusable: ${this.dead}`, id);
  }

  private trapped(e: unknown, id: string): never {
    if (e instanceof FragmentCallError) throw e;
    // Languages without unwinding on wasm32 (Rust's panic=abort, AssemblyScript's
    // abort) write a result frame and set the status cell before they trap; the
    // caller gets that error. The instance is still dead: its stack was not unwound.
    const framed = e instanceof WasiExit ? null : this.frameAfterTrap(id);
    if (framed) {
      this.dead = `the module trapped after: ${framed.message}`;
      throw framed;
    }
    const what =
      e instanceof WasiExit
        ? `the module exited with code ${e.code}`
        : `the module trapped: ${(e as Error)?.message ?? e}`;
    const stderr = this.wasi.stderrTail.trim();
    this.dead = what;
    throw new FragmentCallError("DCM_FRAGMENT_PANIC", stderr ? `${what}\n${stderr}` : what, id);
  }

  private frameAfterTrap(id: string): FragmentCallError | null {
    try {
      this.refresh();
      const n = this.status();
      if (n <= 0) return null;
      const out = this.ex.dcm_out();
      if (out + n > this.u8.length) return null;
      return scalarPanic(this.reader.reset(this.u8, this.dv, out, n), id);
    } catch {
      return null;
    }
  }

  private panicked(n: number, id: string): never {
    const out = this.ex.dcm_out();
    if (this.u8.byteLength === 0) this.refresh();
    if (out + n > this.u8.length) throw new FragmentCallError("DCM_FRAGMENT_PANIC", `panic frame out of bounds`, id);
    throw scalarPanic(this.reader.reset(this.u8, this.dv, out, n), id);
  }

  private scalarCall(plan: ScalarPlan, fn: WasmFn): CallFn {
    const { id, params, names } = plan;
    const res = plan.result;
    const arg = (i: number, v: unknown): number | bigint => {
      try {
        return params[i]!(v);
      } catch (e) {
        return badArgument(e, names[i]!, id);
      }
    };
    const finish = (r: number | bigint | undefined): JsValue => {
      const s = this.status();
      if (s !== 0) this.panicked(s, id);
      return res ? res(r) : null;
    };
    // Fixed arities avoid building an argument array per call.
    let run: (args: readonly JsValue[]) => number | bigint | undefined;
    switch (params.length) {
      case 0:
        run = () => fn();
        break;
      case 1:
        run = (args) => fn(arg(0, args[0]));
        break;
      case 2:
        run = (args) => fn(arg(0, args[0]), arg(1, args[1]));
        break;
      case 3:
        run = (args) => fn(arg(0, args[0]), arg(1, args[1]), arg(2, args[2]));
        break;
      default:
        run = (args) => fn(...scalarArgs(plan, args));
    }
    return (args) => {
      if (args.length !== params.length) arityError(plan, args.length);
      if (this.dead !== null) this.checkAlive(id);
      let r: number | bigint | undefined;
      try {
        r = run(args);
      } catch (e) {
        this.trapped(e, id);
      }
      return finish(r);
    };
  }

  private bufferCall(plan: BufferPlan, fn: WasmFn): CallFn {
    const { id, codec } = plan;
    const w = this.writer;
    const { dcm_in, dcm_out } = this.ex;
    return (args) => {
      w.pos = 0;
      codec.writeArgs(w, args, id);
      const len = w.pos;
      this.checkAlive(id);
      let n: number;
      let out: number;
      try {
        const ptr = dcm_in(len);
        let u8 = this.u8;
        if (u8.byteLength === 0 || ptr + len > u8.length) {
          this.refresh();
          u8 = this.u8;
        }
        u8.set(len < w.buf.length ? w.buf.subarray(0, len) : w.buf, ptr);
        n = fn(len) as number;
        out = dcm_out();
      } catch (e) {
        this.trapped(e, id);
      }
      if (this.u8.byteLength === 0) this.refresh();
      if (n < 1 || out + n > this.u8.length) {
        throw new FragmentCallError(
          "DCM_FRAGMENT_PANIC",
          `malformed result frame from the module: ${n} bytes at ${out}`,
          id,
        );
      }
      return codec.readResultValue(this.reader.reset(this.u8, this.dv, out, n), id);
    };
  }
}

/** Compiles and instantiates a docs/abi.md WASM module (`req.bytes`) with dcm's WASI shim. */
export async function loadWasmInstance(req: LoadRequest, opts: WasiOptions = {}): Promise<DcmWasmInstance> {
  if (!req.bytes) throw new FragmentCallError("DCM_MODULE_CORRUPT", `${req.module.file}: no module bytes given`, "");
  const module = await WebAssembly.compile(req.bytes as Uint8Array<ArrayBuffer>);
  const wasi = new WasiShim(opts);
  const instance = await WebAssembly.instantiate(module, wasi.imports(module));
  return new DcmWasmInstance(instance, wasi, req);
}

const loader: ModuleLoader = { load: (req) => loadWasmInstance(req) };
export default loader;
