/**
 * Compiles a VType into a decoder closure over a Reader. Decoders trust the
 * layout but check bounds: malformed input raises DecodeError, which the
 * caller maps to a FragmentCallError code. Untrusted input cannot make them
 * allocate more than the input's size allows (counts are checked against the
 * bytes left; lists of zero-size elements are capped at MAX_EMPTY_ELEMENTS),
 * nor recurse deeper than MAX_NESTING records (a stack overflow would be an
 * untyped RangeError). Both limits were found by test/fuzz/abi-decoders.spec.ts.
 */
import type { JsValue } from "./js-values.js";
import { DecodeError, MAX_NESTING } from "./value-errors.js";
import type { TypeTable, VType } from "./value-types.js";
import type { Reader } from "./wire-io.js";

export type Dec = (r: Reader) => JsValue;

/** The most elements of a zero-size type (empty records, empty arrays) one list may hold: they take no input bytes. */
export const MAX_EMPTY_ELEMENTS = 1 << 16;

function decodeBool(r: Reader): JsValue {
  const b = r.u8v();
  if (b > 1) throw new DecodeError(`bool byte ${b} at offset ${r.pos - 1}`);
  return b === 1;
}

export class DecoderCompiler {
  private readonly records = new Map<string, Dec>();
  constructor(private readonly types: TypeTable) {}

  compile(t: VType): Dec {
    switch (t.kind) {
      case "bool":
        return decodeBool;
      case "int":
        switch (t.bits) {
          case 8:
            return t.signed ? (r) => r.i8() : (r) => r.u8v();
          case 16:
            return t.signed ? (r) => r.i16() : (r) => r.u16();
          case 32:
            return t.signed ? (r) => r.i32() : (r) => r.u32();
          case 64:
            return t.signed ? (r) => r.i64() : (r) => r.u64();
        }
        break;
      case "float":
        return t.bits === 32 ? (r) => r.f32() : (r) => r.f64();
      case "string":
        return (r) => r.str();
      case "bytes":
        return (r) => r.bytes();
      case "list": {
        const elem = this.compile(t.elem);
        const elemEmpty = this.zeroSized(t.elem, new Set());
        return (r) => {
          const n = r.u32();
          // Every element takes at least one byte except zero-size ones; bound the allocation by what is left.
          if (n > (elemEmpty ? MAX_EMPTY_ELEMENTS : r.end - r.pos))
            throw new DecodeError(`list count ${n} exceeds the input${elemEmpty ? ` (at most ${MAX_EMPTY_ELEMENTS} zero-size elements)` : ""}`);
          const out = new Array<JsValue>(n);
          for (let i = 0; i < n; i++) out[i] = elem(r);
          return out;
        };
      }
      case "array": {
        const elem = this.compile(t.elem);
        const n = t.length;
        return (r) => {
          const out = new Array<JsValue>(n);
          for (let i = 0; i < n; i++) out[i] = elem(r);
          return out;
        };
      }
      case "map": {
        const key = this.compile(t.key);
        const value = this.compile(t.value);
        return (r) => {
          const n = r.u32();
          if (n > r.end - r.pos) throw new DecodeError(`map count ${n} exceeds the input`);
          const m = new Map<JsValue, JsValue>();
          for (let i = 0; i < n; i++) {
            const k = key(r);
            m.set(k, value(r));
          }
          return m;
        };
      }
      case "record":
        return this.record(t.name);
      case "optional": {
        const inner = this.compile(t.inner);
        return (r) => {
          const tag = r.u8v();
          if (tag === 0) return null;
          if (tag !== 1) throw new DecodeError(`optional tag ${tag} at offset ${r.pos - 1}`);
          return inner(r);
        };
      }
    }
    throw new Error(`cannot decode type ${JSON.stringify(t)}`);
  }

  /** True for types whose encoding is always empty (empty records and arrays). */
  private zeroSized(t: VType, seen: Set<string>): boolean {
    if (t.kind === "array") return t.length === 0 || this.zeroSized(t.elem, seen);
    if (t.kind !== "record" || seen.has(t.name)) return false;
    seen.add(t.name);
    return (this.types[t.name]?.fields ?? []).every((f) => this.zeroSized(f.type, seen));
  }

  private record(name: string): Dec {
    const known = this.records.get(name);
    if (known) return known;
    const def = this.types[name];
    if (!def) throw new Error(`record type ${name} is not in the type table`);
    const names = def.fields.map((f) => f.jsonName);
    let decs: Dec[] = [];
    const dec: Dec = (r) => {
      if (++r.depth > MAX_NESTING) throw new DecodeError(`values nested deeper than ${MAX_NESTING} records`);
      const o: { [field: string]: JsValue } = {};
      for (let i = 0; i < names.length; i++) o[names[i]!] = decs[i]!(r);
      r.depth--;
      return o;
    };
    this.records.set(name, dec);
    decs = def.fields.map((f) => this.compile(f.type));
    return dec;
  }
}
