/**
 * The docs/abi.md codec for whole calls: argument lists and result frames.
 * A signature is compiled into encoder/decoder closures once (cached per type
 * table and Signature object), so a call only runs the closures.
 */
import { FragmentCallError } from "./call-error.js";
import { type Dec, DecoderCompiler } from "./codec-decode.js";
import { type Enc, EncoderCompiler } from "./codec-encode.js";
import type { JsValue } from "./js-values.js";
import { badArgument, DecodeError, ValueError } from "./value-errors.js";
import type { Param, Signature, TypeTable, VType } from "./value-types.js";
import { Reader, Writer } from "./wire-io.js";

export type ResultFrame = { status: 0; value: JsValue } | { status: 1 | 2 | 3; message: string };

/** FragmentCallError code for each non-ok frame status. */
export const STATUS_CODES = {
  1: "DCM_FRAGMENT_ERROR",
  2: "DCM_FRAGMENT_PANIC",
  3: "DCM_BAD_ARGUMENTS",
} as const;

interface Compilers {
  enc?: EncoderCompiler;
  dec?: DecoderCompiler;
  sigs: WeakMap<Signature, SigCodec>;
}

const tables = new WeakMap<TypeTable, Compilers>();

function compilers(types: TypeTable): Compilers {
  let c = tables.get(types);
  if (!c) {
    c = { sigs: new WeakMap() };
    tables.set(types, c);
  }
  return c;
}

function encoderFor(types: TypeTable): EncoderCompiler {
  const c = compilers(types);
  c.enc ??= new EncoderCompiler(types);
  return c.enc;
}

function decoderFor(types: TypeTable): DecoderCompiler {
  const c = compilers(types);
  c.dec ??= new DecoderCompiler(types);
  return c.dec;
}

/** What a variadic parameter's elements are: its list's element type. */
function variadicElem(p: Param): VType {
  return p.type.kind === "list" ? p.type.elem : p.type;
}

/** A compiled signature. Each direction compiles on first use. */
export class SigCodec {
  private readonly names: string[];
  private readonly fixed: number;
  private readonly variadic: Param | undefined;
  private argEncs?: Enc[];
  private argDecs?: Dec[];
  private resEncs?: Enc[];
  private resDecs?: Dec[];

  constructor(
    private readonly sig: Signature,
    private readonly types: TypeTable,
  ) {
    const last = sig.params[sig.params.length - 1];
    this.variadic = last?.variadic ? last : undefined;
    this.fixed = sig.params.length - (this.variadic ? 1 : 0);
    this.names = sig.params.map((p) => p.name);
  }

  /** Validates `args` and writes their encoding at `w.pos`; DCM_BAD_ARGUMENTS names the parameter and path. */
  writeArgs(w: Writer, args: readonly unknown[], fragment: string): void {
    this.argEncs ??= this.compileArgEncs();
    const encs = this.argEncs;
    const fixed = this.fixed;
    if (this.variadic ? args.length < fixed : args.length !== fixed) this.arityError(args.length, fragment);
    let i = 0;
    try {
      for (; i < fixed; i++) encs[i]!(w, args[i]);
    } catch (e) {
      badArgument(e, this.names[i]!, fragment);
    }
    if (this.variadic) {
      const elem = encs[fixed]!;
      w.u32(args.length - fixed);
      try {
        for (; i < args.length; i++) elem(w, args[i]);
      } catch (e) {
        badArgument(e, `${this.variadic.name}[${i - fixed}]`, fragment);
      }
    }
  }

  /** Decodes an argument list; a variadic list is spread into the trailing arguments. */
  readArgs(r: Reader): JsValue[] {
    this.argDecs ??= this.compileArgDecs();
    const decs = this.argDecs;
    const out: JsValue[] = [];
    for (let i = 0; i < this.fixed; i++) out.push(decs[i]!(r));
    if (this.variadic) {
      const n = r.u32();
      if (n > r.end - r.pos) throw new DecodeError(`variadic count ${n} exceeds the input`);
      const elem = decs[this.fixed]!;
      for (let i = 0; i < n; i++) out.push(elem(r));
    }
    expectEnd(r);
    return out;
  }

  writeResult(w: Writer, frame: ResultFrame): void {
    w.u8(frame.status);
    if (frame.status !== 0) {
      w.str(frame.message);
      return;
    }
    this.resEncs ??= this.sig.results.map((t) => encoderFor(this.types).compile(t));
    const encs = this.resEncs;
    const n = encs.length;
    try {
      if (n === 1) encs[0]!(w, frame.value);
      else if (n > 1) {
        const v = frame.value;
        if (!Array.isArray(v) || v.length !== n) throw new ValueError(`expected an array of ${n} results`);
        for (let i = 0; i < n; i++) {
          try {
            encs[i]!(w, v[i]);
          } catch (e) {
            if (e instanceof ValueError) e.path = `[${i}]${e.path}`;
            throw e;
          }
        }
      }
    } catch (e) {
      if (e instanceof ValueError) throw new Error(`result${e.path}: ${e.message}`);
      throw e;
    }
  }

  /** Decodes a result frame; throws DecodeError when it is malformed. */
  readResult(r: Reader): ResultFrame {
    const status = r.u8v();
    if (status !== 0) {
      if (status > 3) throw new DecodeError(`unknown result status ${status}`);
      const message = r.str();
      expectEnd(r);
      return { status: status as 1 | 2 | 3, message };
    }
    this.resDecs ??= this.sig.results.map((t) => decoderFor(this.types).compile(t));
    const decs = this.resDecs;
    let value: JsValue = null;
    if (decs.length === 1) value = decs[0]!(r);
    else if (decs.length > 1) value = decs.map((d) => d(r));
    expectEnd(r);
    return { status: 0, value };
  }

  /** Decodes a result frame and returns its value, or throws the FragmentCallError it stands for. */
  readResultValue(r: Reader, fragment: string): JsValue {
    let frame: ResultFrame;
    try {
      frame = this.readResult(r);
    } catch (e) {
      if (e instanceof DecodeError) throw malformedResult(e, fragment);
      throw e;
    }
    if (frame.status === 0) return frame.value;
    throw new FragmentCallError(STATUS_CODES[frame.status], frame.message, fragment);
  }

  private compileArgEncs(): Enc[] {
    const c = encoderFor(this.types);
    return this.sig.params.map((p) => c.compile(p.variadic ? variadicElem(p) : p.type));
  }

  private compileArgDecs(): Dec[] {
    const c = decoderFor(this.types);
    return this.sig.params.map((p) => c.compile(p.variadic ? variadicElem(p) : p.type));
  }

  private arityError(got: number, fragment: string): never {
    const want = this.variadic ? `at least ${this.fixed}` : `${this.fixed}`;
    const names = this.names.map((n, i) => (this.variadic && i === this.fixed ? `...${n}` : n)).join(", ");
    throw new FragmentCallError("DCM_BAD_ARGUMENTS", `expected ${want} argument(s) (${names}), got ${got}`, fragment);
  }
}

function expectEnd(r: Reader): void {
  if (r.pos !== r.end) throw new DecodeError(`${r.end - r.pos} trailing bytes`);
}

export function malformedResult(e: DecodeError, fragment: string): FragmentCallError {
  return new FragmentCallError("DCM_FRAGMENT_PANIC", `malformed result frame from the module: ${e.message}`, fragment);
}

export function sigCodec(sig: Signature, types: TypeTable): SigCodec {
  const sigs = compilers(types).sigs;
  let c = sigs.get(sig);
  if (!c) {
    c = new SigCodec(sig, types);
    sigs.set(sig, c);
  }
  return c;
}

const shared = new Writer(4096);
const reader = new Reader();

/** The encoded argument list (a fresh copy). Variadic: the arguments after the fixed ones form the list. */
export function encodeArgs(sig: Signature, types: TypeTable, args: readonly JsValue[], fragment = ""): Uint8Array {
  shared.pos = 0;
  sigCodec(sig, types).writeArgs(shared, args, fragment);
  return shared.bytes();
}

/** The reverse of encodeArgs, for hosts that receive arguments over the wire. Malformed bytes: DCM_BAD_ARGUMENTS. */
export function decodeArgs(sig: Signature, types: TypeTable, bytes: Uint8Array, fragment = ""): JsValue[] {
  try {
    return sigCodec(sig, types).readArgs(new Reader().from(bytes));
  } catch (e) {
    if (e instanceof DecodeError)
      throw new FragmentCallError("DCM_BAD_ARGUMENTS", `arguments do not decode: ${e.message}`, fragment);
    throw e;
  }
}

export function encodeResultFrame(sig: Signature, types: TypeTable, frame: ResultFrame): Uint8Array {
  shared.pos = 0;
  sigCodec(sig, types).writeResult(shared, frame);
  return shared.bytes();
}

/** Decodes a result frame: 0 results give null, 1 its value, n an array. Malformed frames throw DCM_FRAGMENT_PANIC. */
export function decodeResultFrame(sig: Signature, types: TypeTable, bytes: Uint8Array, fragment = ""): ResultFrame {
  try {
    return sigCodec(sig, types).readResult(new Reader().from(bytes));
  } catch (e) {
    if (e instanceof DecodeError) throw malformedResult(e, fragment);
    throw e;
  }
}

/** The value of an ok frame, or the FragmentCallError a failed frame stands for. */
export function frameValue(frame: ResultFrame, fragment = ""): JsValue {
  if (frame.status === 0) return frame.value;
  throw new FragmentCallError(STATUS_CODES[frame.status], frame.message, fragment);
}

/** One value's encoding; validation errors are DCM_BAD_ARGUMENTS with `name` as the path root. */
export function encodeValue(t: VType, types: TypeTable, value: JsValue, name = "value"): Uint8Array {
  shared.pos = 0;
  try {
    encoderFor(types).compile(t)(shared, value);
  } catch (e) {
    badArgument(e, name, "");
  }
  return shared.bytes();
}

export function decodeValue(t: VType, types: TypeTable, bytes: Uint8Array): JsValue {
  const r = reader.from(bytes);
  const v = decoderFor(types).compile(t)(r);
  expectEnd(r);
  return v;
}

export { Reader, Writer } from "./wire-io.js";
