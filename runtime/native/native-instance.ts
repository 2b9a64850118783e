/**
 * A docs/abi.md native plugin (.so) loaded with koffi. Only use it inside a
 * worker thread: Go's runtime makes each call from Node's main thread cost
 * ~140 µs (docs/abi.md). native-host.ts does that.
 *
 * Pointers come back as numbers (uintptr_t) so that the views over the
 * plugin's input and output buffers can be cached per address: creating a
 * koffi view costs more than the whole call.
 *
 * Output (docs/abi.md, "Output"): a plugin that captures what its fragments
 * print exports `dcm_output_ptr` and `dcm_take_output`. After each call the
 * host reads the output cell (a plain memory read) and only when it is
 * non-zero makes the second FFI call that hands the output over.
 */
import koffi from "koffi";
import { FragmentCallError } from "../abi/call-error.js";
import {
  type CallPlan,
  notCallable,
  planFragment,
  scalarArgs,
  scalarPanic,
  unknownFragment,
} from "../abi/call-plan.js";
import { OutputCapture, readOutputFrame } from "../abi/call-output.js";
import { type SigCodec, sigCodec } from "../abi/codec.js";
import type { JsValue } from "../abi/js-values.js";
import type { LoadRequest } from "../abi/module-types.js";
import type { CallOutput } from "../abi/output-types.js";
import { DecodeError } from "../abi/value-errors.js";
import type { VType } from "../abi/value-types.js";
import { Reader, Writer } from "../abi/wire-io.js";

export const ABI_VERSION = 1;

type NativeFn = (...args: unknown[]) => unknown;

function cType(t: VType): string {
  switch (t.kind) {
    case "bool":
      return "int32_t";
    case "int":
      return t.bits === 64 ? (t.signed ? "int64_t" : "uint64_t") : t.signed ? "int32_t" : "uint32_t";
    case "float":
      return t.bits === 32 ? "float" : "double";
    default:
      throw new Error(`type ${t.kind} cannot use the scalar ABI`);
  }
}

/** A cached view over plugin memory at one address. */
class MemView {
  addr = -1;
  u8 = new Uint8Array(0);
  dv = new DataView(this.u8.buffer);

  at(addr: number, len: number): Uint8Array {
    if (addr !== this.addr || len > this.u8.length) {
      const ab = koffi.view(addr, Math.max(len, 1));
      this.addr = addr;
      this.u8 = new Uint8Array(ab);
      this.dv = new DataView(ab);
    }
    return this.u8;
  }
}

interface Entry {
  plan: CallPlan;
  fn: NativeFn;
  /** For the byte-level path, also used by scalar fragments. */
  codec: SigCodec;
}

export class NativeInstance {
  private ctx: unknown;
  private readonly ctxFree: ((ctx: unknown) => void) | null;
  private readonly status: Int32Array;
  private readonly dcmIn: (ctx: unknown, len: number) => number;
  private readonly dcmOut: (ctx: unknown) => number;
  private readonly entries = new Map<string, Entry | null>();
  /** The manifest's reason for each fragment this module holds but cannot call. */
  private readonly refusals = new Map<string, string | undefined>();
  private readonly inView = new MemView();
  private readonly outView = new MemView();
  private readonly writer = new Writer(4096);
  private readonly reader = new Reader();
  /** The plugin's output cell (non-zero: output waits), when it captures output. */
  private readonly outputCell: Int32Array | null = null;
  private readonly takeOutputFn: ((ctx: unknown) => number) | null = null;
  private readonly output = new OutputCapture();

  constructor(req: LoadRequest) {
    const name = req.module.file;
    if (!req.path) throw new FragmentCallError("DCM_MODULE_CORRUPT", `${name}: no plugin path given`, "");
    // Go c-shared libraries cannot be unloaded, so the handle lives as long as the process.
    const lib = koffi.load(req.path);
    const fn = (n: string, ret: string, args: string[]) => {
      try {
        return lib.func(n, ret, args) as NativeFn;
      } catch (e) {
        throw new FragmentCallError("DCM_MODULE_CORRUPT", `${name}: ${(e as Error).message}`, "");
      }
    };
    const version = fn("dcm_abi_version", "int32_t", [])();
    if (version !== ABI_VERSION) {
      throw new FragmentCallError(
        "DCM_MODULE_CORRUPT",
        `${name} speaks dcm ABI version ${version}; this runtime speaks ${ABI_VERSION}`,
        "",
      );
    }
    this.ctx = fn("dcm_ctx_new", "void *", [])();
    // Not in ABI version 1, but dcm's Go glue exports it: free the context when there is a way to.
    this.ctxFree = (() => {
      try {
        return lib.func("dcm_ctx_free", "void", ["void *"]) as (ctx: unknown) => void;
      } catch {
        return null;
      }
    })();
    const statusAddr = fn("dcm_status_ptr", "uintptr_t", ["void *"])(this.ctx) as number;
    this.status = new Int32Array(koffi.view(statusAddr, 4));
    this.dcmIn = fn("dcm_in", "uintptr_t", ["void *", "int32_t"]) as (ctx: unknown, len: number) => number;
    this.dcmOut = fn("dcm_out", "uintptr_t", ["void *"]) as (ctx: unknown) => number;
    const optional = (n: string, ret: string, args: string[]) => {
      try {
        return lib.func(n, ret, args) as NativeFn;
      } catch {
        return null;
      }
    };
    const outputPtr = optional("dcm_output_ptr", "uintptr_t", ["void *"]);
    const take = optional("dcm_take_output", "int32_t", ["void *"]);
    if (outputPtr && take) {
      this.outputCell = new Int32Array(koffi.view(outputPtr(this.ctx) as number, 4));
      this.takeOutputFn = take as (ctx: unknown) => number;
    }
    for (const f of req.fragments) {
      const plan = planFragment(f, req.types);
      if (!plan || !f.signature) {
        this.entries.set(f.id, null);
        this.refusals.set(f.id, f.notCallable);
        continue;
      }
      const sig = f.signature;
      const native =
        plan.abi === "scalar"
          ? fn(plan.export, sig.results[0] ? cType(sig.results[0]) : "void", [
              "void *",
              ...sig.params.map((p) => cType(p.type)),
            ])
          : fn(plan.export, "int32_t", ["void *", "int32_t"]);
      this.entries.set(f.id, { plan, fn: native, codec: sigCodec(sig, req.types) });
    }
  }

  private entry(id: string): Entry {
    const e = this.entries.get(id);
    if (e) return e;
    if (e === null) throw notCallable(id, this.refusals.get(id));
    throw unknownFragment(id, this.entries.keys());
  }

  private checkStatus(id: string): void {
    const n = this.status[0]!;
    if (n !== 0) {
      const u8 = this.outView.at(this.dcmOut(this.ctx), n);
      throw scalarPanic(this.reader.reset(u8, this.outView.dv, 0, n), id);
    }
  }

  /** Runs a buffer-ABI export on the encoded arguments; returns the frame length, the frame being in outView. */
  private runBuffer(e: Entry, bytes: Uint8Array, len: number): number {
    const ptr = this.dcmIn(this.ctx, len);
    this.inView.at(ptr, len).set(len === bytes.length ? bytes : bytes.subarray(0, len));
    const n = e.fn(this.ctx, len) as number;
    const id = e.plan.id;
    if (n < 1)
      throw new FragmentCallError("DCM_FRAGMENT_PANIC", `malformed result frame from the plugin: length ${n}`, id);
    this.outView.at(this.dcmOut(this.ctx), n);
    return n;
  }

  call(fragmentId: string, args: JsValue[]): JsValue {
    const e = this.entry(fragmentId);
    const plan = e.plan;
    if (plan.abi === "scalar") {
      const r = e.fn(this.ctx, ...scalarArgs(plan, args));
      this.checkStatus(fragmentId);
      return plan.result ? plan.result(r) : null;
    }
    const w = this.writer;
    w.pos = 0;
    plan.codec.writeArgs(w, args, fragmentId);
    const n = this.runBuffer(e, w.buf, w.pos);
    return plan.codec.readResultValue(this.reader.reset(this.outView.u8, this.outView.dv, 0, n), fragmentId);
  }

  /**
   * The byte-level call: encoded arguments in, result frame out (written to
   * `out` from position 0). Scalar fragments are decoded and re-framed so
   * that callers see one format.
   */
  callFrame(fragmentId: string, args: Uint8Array, out: Writer): void {
    const e = this.entry(fragmentId);
    out.pos = 0;
    if (e.plan.abi === "buffer") {
      const n = this.runBuffer(e, args, args.length);
      out.raw(this.outView.u8.subarray(0, n));
      return;
    }
    let decoded: JsValue[];
    try {
      decoded = e.codec.readArgs(this.reader.from(args));
    } catch (err) {
      if (err instanceof DecodeError)
        throw new FragmentCallError("DCM_BAD_ARGUMENTS", `arguments do not decode: ${err.message}`, fragmentId);
      throw err;
    }
    try {
      e.codec.writeResult(out, { status: 0, value: this.call(fragmentId, decoded) });
    } catch (err) {
      if (!(err instanceof FragmentCallError) || err.code !== "DCM_FRAGMENT_PANIC") throw err;
      out.pos = 0;
      e.codec.writeResult(out, { status: 2, message: err.message });
    }
  }

  /** What the last call printed (call after every call, whether it returned or threw). */
  takeOutput(): CallOutput | null {
    if (this.outputCell !== null && this.outputCell[0] !== 0 && this.ctx !== null) {
      const n = this.takeOutputFn!(this.ctx);
      if (n > 0) readOutputFrame(new Uint8Array(koffi.view(this.dcmOut(this.ctx), n)), this.output);
    }
    return this.output.pending ? this.output.take() : null;
  }

  close(): void {
    this.entries.clear();
    if (this.ctx !== null) this.ctxFree?.(this.ctx);
    this.ctx = null;
  }
}
