/**
 * Compiles a VType into an encoder closure that validates a JS value and
 * writes its docs/abi.md encoding. Compiled once per type table and
 * signature (see codec.ts); record encoders are memoised by name so that
 * recursive records compile.
 */

import { int64Value, intRange, smallIntSlow } from "./int-checks.js";
import { compareKeys, keyNormalizer } from "./map-keys.js";
import {
  describeJs,
  expected,
  fieldSegment,
  isPlainObject,
  keySegment,
  typeName,
  ValueError,
  withPath,
} from "./value-errors.js";
import type { TypeTable, VType } from "./value-types.js";
import { Writer } from "./wire-io.js";

export type Enc = (w: Writer, v: unknown) => void;

function intEncoder(t: VType & { kind: "int" }): Enc {
  const [min, max] = intRange(t.bits, t.signed);
  switch (t.bits) {
    case 8:
      return (w, v) => {
        const n =
          typeof v === "number" && Number.isInteger(v) && v >= min && v <= max ? v : smallIntSlow(t, v, min, max);
        w.u8(n & 0xff);
      };
    case 16:
      return (w, v) => {
        const n =
          typeof v === "number" && Number.isInteger(v) && v >= min && v <= max ? v : smallIntSlow(t, v, min, max);
        w.i16((n << 16) >> 16);
      };
    case 32:
      return (w, v) => {
        const n =
          typeof v === "number" && Number.isInteger(v) && v >= min && v <= max ? v : smallIntSlow(t, v, min, max);
        w.i32(n | 0);
      };
    case 64:
      if (t.signed) {
        return (w, v) => {
          if (typeof v === "number" && Number.isSafeInteger(v)) w.i64n(v);
          else w.i64(int64Value(t, v));
        };
      }
      return (w, v) => {
        if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) w.i64n(v);
        else w.u64(int64Value(t, v));
      };
  }
}

function checkRecordObject(t: VType, v: unknown): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Map || v instanceof Uint8Array) {
    throw expected(t, v);
  }
  return v as Record<string, unknown>;
}

export class EncoderCompiler {
  private readonly records = new Map<string, Enc>();
  constructor(private readonly types: TypeTable) {}

  compile(t: VType): Enc {
    switch (t.kind) {
      case "bool":
        return (w, v) => {
          if (typeof v !== "boolean") throw expected(t, v);
          w.u8(v ? 1 : 0);
        };
      case "int":
        return intEncoder(t);
      case "float":
        if (t.bits === 32) {
          return (w, v) => {
            if (typeof v !== "number") throw expected(t, v);
            w.f32(v);
          };
        }
        return (w, v) => {
          if (typeof v !== "number") throw expected(t, v);
          w.f64(v);
        };
      case "string":
        return (w, v) => {
          if (typeof v !== "string") throw expected(t, v);
          w.str(v);
        };
      case "bytes":
        return (w, v) => {
          if (!(v instanceof Uint8Array)) throw expected(t, v);
          w.u32(v.length);
          w.raw(v);
        };
      case "list": {
        const elem = this.compile(t.elem);
        return (w, v) => {
          if (!Array.isArray(v)) throw expected(t, v);
          const n = v.length;
          w.u32(n);
          let i = 0;
          try {
            for (; i < n; i++) elem(w, v[i]);
          } catch (e) {
            withPath(e, `[${i}]`);
          }
        };
      }
      case "array": {
        const elem = this.compile(t.elem);
        const n = t.length;
        return (w, v) => {
          if (!Array.isArray(v)) throw expected(t, v);
          if (v.length !== n) throw new ValueError(`expected ${typeName(t)}, got ${describeJs(v)}`);
          let i = 0;
          try {
            for (; i < n; i++) elem(w, v[i]);
          } catch (e) {
            withPath(e, `[${i}]`);
          }
        };
      }
      case "map":
        return this.map(t);
      case "record":
        return this.record(t);
      case "optional": {
        const inner = this.compile(t.inner);
        return (w, v) => {
          if (v === null || v === undefined) {
            w.u8(0);
          } else {
            w.u8(1);
            inner(w, v);
          }
        };
      }
    }
  }

  private map(t: VType & { kind: "map" }): Enc {
    const keyEnc = this.compile(t.key);
    const valEnc = this.compile(t.value);
    const norm = keyNormalizer(t.key);
    const cmp = compareKeys(t.key);
    const stringKeys = t.key.kind === "string";
    const writeValue = (w: Writer, k: unknown, v: unknown) => {
      try {
        valEnc(w, v);
      } catch (err) {
        withPath(err, keySegment(k));
      }
    };
    return (w, v) => {
      let entries: [unknown, unknown][];
      if (v instanceof Map) entries = Array.from(v);
      else if (stringKeys && isPlainObject(v)) entries = Object.entries(v);
      else throw expected(t, v);
      const n = entries.length;
      w.u32(n);
      if (n === 0) return;
      if (norm && cmp) {
        for (const e of entries) {
          try {
            e[0] = norm(e[0]);
          } catch (err) {
            badKey(err, keySegment(e[0]));
          }
        }
        entries.sort((a, b) => cmp(a[0], b[0]));
        for (let i = 1; i < n; i++) {
          const k = entries[i]![0];
          if (cmp(entries[i - 1]![0], k) === 0 && !(typeof k === "number" && Number.isNaN(k))) {
            throw new ValueError(`duplicate map key ${keySegment(k)}`);
          }
        }
        for (const [k, val] of entries) {
          keyEnc(w, k);
          writeValue(w, k, val);
        }
        return;
      }
      // Keys of compound types: order by their encoding, which is deterministic.
      const tmp = new Writer(64);
      const keyed = entries.map(([k, val]): [Uint8Array, unknown, unknown] => {
        tmp.pos = 0;
        try {
          keyEnc(tmp, k);
        } catch (err) {
          badKey(err, "[?]");
        }
        return [tmp.bytes(), k, val];
      });
      keyed.sort((a, b) => compareBytes(a[0], b[0]));
      for (const [kb, k, val] of keyed) {
        w.raw(kb);
        writeValue(w, k, val);
      }
    };
  }

  private record(t: VType & { kind: "record" }): Enc {
    const known = this.records.get(t.name);
    if (known) return known;
    const def = this.types[t.name];
    if (!def) throw new Error(`record type ${t.name} is not in the type table`);
    const names = def.fields.map((f) => f.jsonName);
    const segs = names.map(fieldSegment);
    const ftypes = def.fields.map((f) => f.type);
    let encs: Enc[] = [];
    const enc: Enc = (w, v) => {
      const o = checkRecordObject(t, v);
      const n = names.length;
      let i = 0;
      try {
        for (; i < n; i++) {
          const fv = o[names[i]!];
          if (fv === undefined) throw new ValueError(`missing field (expected ${typeName(ftypes[i]!)})`);
          encs[i]!(w, fv);
        }
      } catch (e) {
        withPath(e, segs[i]!);
      }
    };
    this.records.set(t.name, enc);
    encs = ftypes.map((ft) => this.compile(ft));
    return enc;
  }
}

function badKey(err: unknown, segment: string): never {
  if (err instanceof ValueError) err.message = `map key: ${err.message}`;
  withPath(err, segment);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
