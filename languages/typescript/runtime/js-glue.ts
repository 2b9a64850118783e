/**
 * The TypeScript adapter's runtime glue for `js` modules: loads the esbuild
 * ESM bundle (from its bytes, through a `data:` URL, in Node and in
 * browsers) and calls its exports synchronously with the same contract as a
 * WASM module of the same signature. Browser-safe: imports only
 * runtime/abi/* and this folder.
 *
 * Per call: arguments are validated against the signature (wrong types are
 * DCM_BAD_ARGUMENTS naming the parameter), turned into the TS values (a
 * codec round trip gives fresh copies, int64 as bigint, and lone surrogates
 * replaced as UTF-8 would), the function runs, and its result is normalised
 * through the codec exactly as a WASM module's result frame would be decoded
 * (sorted map keys, integer range checks, float<32> rounding, U+FFFD for
 * lone surrogates). A result that does not fit its declared type is
 * DCM_FRAGMENT_PANIC. Signatures of only scalars (bool, int and float of
 * any width, string, and optional ones) skip the round trip: each value is
 * checked and converted exactly as the round trip would.
 *
 * Thrown values (see README.md): an Error (or a user subclass) is
 * DCM_FRAGMENT_ERROR with its message; a built-in TypeError, RangeError
 * (stack overflow included), ReferenceError, SyntaxError, EvalError or
 * URIError is DCM_FRAGMENT_PANIC "<Name>: <message>"; a thrown non-Error
 * value is DCM_FRAGMENT_PANIC.
 *
 * Output: the bundle's console capture (templates/dcm-console.mjs) collects
 * what a call prints; takeOutput() hands it over after each call.
 *
 * Instances: every load() evaluates the bundle afresh, so each instance has
 * its own module variables (the state that docs/state.md moves), as each
 * WASM instance has its own memory. Browsers get that from a new blob: URL
 * per load; Node caches modules by URL, so each load's data: URL (or file
 * URL) is made unique. Known limitation: Node never frees an imported
 * module, so each load keeps its bundle's code and module state alive until
 * the process ends (loads happen once per instance, not per call).
 */
import { FragmentCallError } from "../../../runtime/abi/call-error.js";
import { type SigCodec, sigCodec } from "../../../runtime/abi/codec.js";
import { importSource } from "../../../runtime/abi/import-source.js";
import { int64Value, intRange, MAX64, MAXU64, MIN64, smallIntSlow } from "../../../runtime/abi/int-checks.js";
import type { JsValue } from "../../../runtime/abi/js-values.js";
import type { ManifestFragment } from "../../../runtime/abi/manifest-types.js";
import type { CallOutput } from "../../../runtime/abi/output-types.js";
import type { FragmentInstance, LoadRequest, ModuleLoader } from "../../../runtime/abi/module-types.js";
import { badArgument, expected, ValueError } from "../../../runtime/abi/value-errors.js";
import type { Signature, TypeTable, VType } from "../../../runtime/abi/value-types.js";
import { Reader, Writer } from "../../../runtime/abi/wire-io.js";
import type { TsModuleMeta } from "../ts-types.js";
import { LiftCompiler, LowerCompiler, type Shape } from "./js-shape.js";

type UserFn = (...args: unknown[]) => unknown;
type Conv = (v: unknown) => unknown;

interface Plan {
  id: string;
  fn: UserFn;
  run(args: readonly JsValue[]): JsValue;
}

const PANIC_PROTOS: ReadonlySet<unknown> = new Set([
  TypeError.prototype,
  RangeError.prototype,
  ReferenceError.prototype,
  SyntaxError.prototype,
  EvalError.prototype,
  URIError.prototype,
]);

/** The FragmentCallError a value thrown by user code stands for (see the header). */
export function thrownToError(e: unknown, id: string): FragmentCallError {
  if (e instanceof Error) {
    const proto: unknown = Object.getPrototypeOf(e);
    if (PANIC_PROTOS.has(proto)) return new FragmentCallError("DCM_FRAGMENT_PANIC", `${e.name}: ${e.message}`, id);
    return new FragmentCallError("DCM_FRAGMENT_ERROR", String(e.message), id);
  }
  return new FragmentCallError("DCM_FRAGMENT_PANIC", `threw a non-Error value: ${describeThrown(e)}`, id);
}

function describeThrown(e: unknown): string {
  try {
    if (typeof e === "string") return JSON.stringify(e);
    if (typeof e === "bigint") return `${e}n`;
    if (typeof e === "object" && e !== null) return JSON.stringify(e) ?? String(e);
    return String(e);
  } catch {
    return typeof e;
  }
}

function resultPanic(id: string, message: string): FragmentCallError {
  return new FragmentCallError("DCM_FRAGMENT_PANIC", `the result does not fit the declared type: ${message}`, id);
}

// ---- strings: what a UTF-8 round trip would give (lone surrogates -> U+FFFD) ----

type WellFormed = { isWellFormed?: () => boolean; toWellFormed?: () => string };
const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function wellFormed(s: string): string {
  const w = s as unknown as WellFormed;
  if (w.isWellFormed) return w.isWellFormed() ? s : w.toWellFormed!();
  return s.replace(LONE, "\uFFFD");
}

// ---- the scalar fast path (bool, int, float, string, and optional ones) ----

/**
 * One value of a scalar type, checked and converted as a codec round trip
 * would (encode, then decode): the codec's own range checks and messages,
 * -0 as 0 for integers, float<32> rounded with Math.fround, int<64> as bigint.
 * Used for arguments and results alike, so the function sees what a WASM
 * module of the same signature would, and the caller gets what it would.
 */
function fastConv(t: VType, undef = false): Conv | null {
  switch (t.kind) {
    case "bool":
      return (v) => {
        if (typeof v !== "boolean") throw expected(t, v);
        return v;
      };
    case "float":
      if (t.bits === 32) {
        return (v) => {
          if (typeof v !== "number") throw expected(t, v);
          return Math.fround(v);
        };
      }
      return (v) => {
        if (typeof v !== "number") throw expected(t, v);
        return v;
      };
    case "int": {
      if (t.bits === 64) {
        const [lo, hi] = t.signed ? [MIN64, MAX64] : [0n, MAXU64];
        return (v) => (typeof v === "bigint" && v >= lo && v <= hi ? v : int64Value(t, v));
      }
      const [min, max] = intRange(t.bits, t.signed);
      // In range by now: `| 0` / `>>> 0` only turn -0 into 0, as the wire does.
      const check = (v: unknown): number =>
        typeof v === "number" && Number.isInteger(v) && v >= min && v <= max ? v : smallIntSlow(t, v, min, max);
      return t.signed ? (v) => check(v) | 0 : (v) => check(v) >>> 0;
    }
    case "string":
      return (v) => {
        if (typeof v !== "string") throw expected(t, v);
        return wellFormed(v);
      };
    case "optional": {
      if (t.inner.kind === "optional") return null;
      const inner = fastConv(t.inner);
      if (!inner) return null;
      const absent = undef ? undefined : null;
      return (v) => (v === null || v === undefined ? absent : inner(v));
    }
    default:
      return null;
  }
}

/** `undef[i]`: parameter i is `x?: T` / `T | undefined`, so a null arrives as undefined. */
function fastPlan(id: string, fn: UserFn, sig: Signature, undef: boolean[]): Plan | null {
  if (sig.results.length > 1 || sig.params.some((p) => p.variadic)) return null;
  const convs = sig.params.map((p, i) => fastConv(p.type, undef[i]));
  const names = sig.params.map((p) => p.name);
  if (convs.some((c) => c === null)) return null;
  const resType = sig.results[0];
  const resConv = resType ? fastConv(resType) : undefined;
  if (resConv === null) return null;
  const n = convs.length;
  return {
    id,
    fn,
    run(args) {
      if (args.length !== n) arity(id, names, args.length);
      const a = new Array<unknown>(n);
      let i = 0;
      try {
        for (; i < n; i++) a[i] = convs[i]!(args[i]);
      } catch (e) {
        badArgument(e, names[i]!, id);
      }
      let r: unknown;
      try {
        r = fn(...a);
      } catch (e) {
        throw thrownToError(e, id);
      }
      if (!resConv) return null;
      try {
        return resConv(r) as JsValue;
      } catch (e) {
        if (e instanceof ValueError) throw resultPanic(id, `result: ${e.message}`);
        throw e;
      }
    },
  };
}

function arity(id: string, names: string[], got: number): never {
  throw new FragmentCallError(
    "DCM_BAD_ARGUMENTS",
    `expected ${names.length} argument(s) (${names.join(", ")}), got ${got}`,
    id,
  );
}

// ---- the general path: codec round trips ----

function codecPlan(id: string, fn: UserFn, sig: Signature, types: TypeTable, lifts: Array<Shape | null>, lower: Shape | null): Plan {
  const codec: SigCodec = sigCodec(sig, types);
  const w = new Writer(256);
  const r = new Reader();
  const anyLift = lifts.some((l) => l !== null);
  const fixed = sig.params.length - (sig.params[sig.params.length - 1]?.variadic ? 1 : 0);
  const variadicLift = fixed < sig.params.length ? lifts[fixed] : null;
  return {
    id,
    fn,
    run(args) {
      w.pos = 0;
      codec.writeArgs(w, args, id);
      const a = codec.readArgs(r.from(w.buf.subarray(0, w.pos))) as unknown[];
      if (anyLift) {
        for (let i = 0; i < a.length; i++) {
          const l = i < fixed ? lifts[i] : variadicLift;
          if (l) a[i] = l(a[i]);
        }
      }
      let value: unknown;
      try {
        value = fn(...a);
      } catch (e) {
        throw thrownToError(e, id);
      }
      if (sig.results.length === 0) return null;
      if (lower) value = lower(value);
      w.pos = 0;
      try {
        codec.writeResult(w, { status: 0, value: value as JsValue });
      } catch (e) {
        throw resultPanic(id, e instanceof Error ? e.message : String(e));
      }
      return codec.readResultValue(r.from(w.buf.subarray(0, w.pos)), id);
    },
  };
}

/** Lowering for the whole result value: one type, or a tuple of several. */
function resultLower(sig: Signature, lc: LowerCompiler): Shape | null {
  if (sig.results.length === 1) return lc.compile(sig.results[0]!);
  const each = sig.results.map((t) => lc.compile(t));
  if (each.every((f) => f === null)) return null;
  return (v) => (Array.isArray(v) ? v.map((x, i) => (each[i] ? each[i]!(x) : x)) : v);
}

// ---- loading ----

function corrupt(file: string, message: string): FragmentCallError {
  return new FragmentCallError("DCM_MODULE_CORRUPT", `${file}: ${message}`, "");
}

/** Loads so far: makes each load's URL unique (a fresh module instance, see the header). */
let loads = 0;

/** The bundle's bytes with a trailing comment that names this load. */
function uniqueSource(bytes: Uint8Array, n: number): Uint8Array {
  const tag = new TextEncoder().encode(`\n//# dcmLoad=${n}\n`);
  const out = new Uint8Array(bytes.length + tag.length);
  out.set(bytes);
  out.set(tag, bytes.length);
  return out;
}

/** Imports the bundle: from its bytes (a blob: URL in browsers, data: in Node), else from its path (Node only). */
async function importBundle(req: LoadRequest): Promise<Record<string, unknown>> {
  const bytes = req.bytes;
  const path = req.path;
  if (!bytes && !path) throw corrupt(req.module.file, "the loader got neither the module's bytes nor its path");
  const n = ++loads;
  try {
    if (bytes) return (await importSource(uniqueSource(bytes, n))) as Record<string, unknown>;
    const url = `file://${path!.split("/").map(encodeURIComponent).join("/")}?dcmLoad=${n}`;
    return (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
  } catch (e) {
    throw corrupt(req.module.file, `the JavaScript module does not load: ${(e as Error).message}`);
  }
}

export class JsFragmentInstance implements FragmentInstance {
  private readonly plans = new Map<string, Plan>();
  private readonly known: string[];
  /** The bundle's console capture (absent in bundles built before it existed). */
  private readonly take: (() => CallOutput | null) | null;
  /** The manifest's reason for each fragment this module holds but cannot call. */
  private readonly refusals = new Map<string, string>();

  constructor(ns: Record<string, unknown>, req: LoadRequest) {
    this.take = typeof ns.dcm_take_output === "function" ? (ns.dcm_take_output as () => CallOutput | null) : null;
    const meta = ns.dcm_meta as TsModuleMeta | undefined;
    if (!meta || typeof meta !== "object" || !meta.params) throw corrupt(req.module.file, "no `dcm_meta` export (not a dcm TypeScript module)");
    const lift = new LiftCompiler(meta.records ?? {});
    const lower = new LowerCompiler(req.types);
    this.known = req.fragments.map((f) => f.id);
    for (const f of req.fragments) {
      const plan = this.plan(f, ns, meta, lift, lower, req);
      if (plan) this.plans.set(f.id, plan);
      else if (f.notCallable) this.refusals.set(f.id, f.notCallable);
    }
  }

  private plan(
    f: ManifestFragment,
    ns: Record<string, unknown>,
    meta: TsModuleMeta,
    lc: LiftCompiler,
    lower: LowerCompiler,
    req: LoadRequest,
  ): Plan | null {
    if (!f.signature || !f.export) return null;
    const fn = ns[f.export];
    if (typeof fn !== "function") throw corrupt(req.module.file, `no function export \`${f.export}\` for fragment \`${f.id}\``);
    const specs = meta.params[f.export] ?? [];
    const lifts = f.signature.params.map((_, i) => lc.compile(specs[i] ?? 0));
    // The fast path handles a top-level `?:` itself; anything deeper needs the codec path.
    const topUndef = specs.map((s) => s !== 0 && s.u === 1 && s.opt === undefined);
    const fastOk = lifts.every((l, i) => l === null || topUndef[i]);
    return (
      (fastOk ? fastPlan(f.id, fn as UserFn, f.signature, topUndef) : null) ??
      codecPlan(f.id, fn as UserFn, f.signature, req.types, lifts, resultLower(f.signature, lower))
    );
  }

  call(fragmentId: string, args: JsValue[]): JsValue {
    const plan = this.plans.get(fragmentId);
    if (!plan) {
      if (this.known.includes(fragmentId)) {
        const why = this.refusals.get(fragmentId) ?? `fragment \`${fragmentId}\` is not a function or method`;
        throw new FragmentCallError("DCM_NOT_CALLABLE", why, fragmentId);
      }
      throw new FragmentCallError(
        "DCM_UNKNOWN_FRAGMENT",
        `this module has no fragment \`${fragmentId}\` (it has: ${this.known.join(", ")})`,
        fragmentId,
      );
    }
    return plan.run(args);
  }

  takeOutput(): CallOutput | null {
    return this.take ? this.take() : null;
  }

  close(): void {
    this.plans.clear();
  }
}

const loader: ModuleLoader = {
  async load(req: LoadRequest): Promise<FragmentInstance> {
    return new JsFragmentInstance(await importBundle(req), req);
  },
};

export default loader;
