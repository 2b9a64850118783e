/**
 * Value reshaping around a TypeScript fragment call, compiled once per type
 * at load (browser-safe: imports only runtime/abi types).
 *
 * - lift (arguments, after the codec round trip gave fresh values): a null
 *   becomes `undefined` where the TypeScript type says `x?: T` or
 *   `T | undefined` (from the LiftSpec the generated module exports);
 *   such record fields are removed, so `"x" in o` is false as in TS.
 * - lower (results, before encoding): a missing optional record field
 *   (`undefined`) becomes null, into a fresh object holding only the
 *   declared fields, so the user's own objects are never changed.
 *
 * Both return null for "identity", so plain signatures pay nothing.
 */
import type { TypeTable, VType } from "../../../runtime/abi/value-types.js";
import type { LiftSpec, RecordLift } from "../ts-types.js";

export type Shape = (v: unknown) => unknown;

export class LiftCompiler {
  private readonly recs = new Map<string, Shape | null>();
  constructor(private readonly records: Record<string, RecordLift>) {}

  compile(spec: LiftSpec): Shape | null {
    if (spec === 0) return null;
    let inner: Shape | null = null;
    if (spec.opt !== undefined) {
      const f = this.compile(spec.opt);
      if (f) inner = (v) => (v === null ? null : f(v));
    } else if (spec.list !== undefined) {
      const f = this.compile(spec.list);
      if (f)
        inner = (v) => {
          const a = v as unknown[];
          for (let i = 0; i < a.length; i++) a[i] = f(a[i]);
          return a;
        };
    } else if (spec.map !== undefined) {
      const f = this.compile(spec.map);
      if (f)
        inner = (v) => {
          const m = v as Map<unknown, unknown>;
          for (const [k, x] of m) m.set(k, f(x));
          return m;
        };
    } else if (spec.rec !== undefined) {
      inner = this.record(spec.rec);
    }
    if (!spec.u) return inner;
    const f = inner;
    return f ? (v) => (v === null ? undefined : f(v)) : (v) => (v === null ? undefined : v);
  }

  private record(name: string): Shape | null {
    if (this.recs.has(name)) return this.recs.get(name)!;
    const def = this.records[name];
    if (!def) {
      this.recs.set(name, null);
      return null;
    }
    const undef = def.undef;
    let nested: Array<[string, Shape]> = [];
    const fn: Shape = (v) => {
      const o = v as Record<string, unknown>;
      for (let i = 0; i < undef.length; i++) if (o[undef[i]!] === null) delete o[undef[i]!];
      for (let i = 0; i < nested.length; i++) {
        const [k, f] = nested[i]!;
        const x = o[k];
        if (x !== undefined && x !== null) o[k] = f(x);
      }
      return o;
    };
    // Placeholder first: records may be recursive.
    this.recs.set(name, fn);
    nested = Object.entries(def.nested)
      .map(([k, s]): [string, Shape | null] => [k, this.compile(s)])
      .filter((e): e is [string, Shape] => e[1] !== null);
    if (undef.length === 0 && nested.length === 0) {
      this.recs.set(name, null);
      return null;
    }
    return fn;
  }
}

export class LowerCompiler {
  private readonly recs = new Map<string, Shape>();
  private readonly needs = new Map<string, boolean>();
  constructor(private readonly types: TypeTable) {}

  compile(t: VType): Shape | null {
    if (!this.need(t, new Set())) return null;
    switch (t.kind) {
      case "optional": {
        const f = this.compile(t.inner)!;
        return (v) => (v === null || v === undefined ? v : f(v));
      }
      case "list":
      case "array": {
        const f = this.compile(t.elem)!;
        return (v) => (Array.isArray(v) ? v.map(f) : v);
      }
      case "map": {
        const f = this.compile(t.value)!;
        return (v) => (v instanceof Map ? new Map(Array.from(v, ([k, x]) => [k, f(x)])) : v);
      }
      case "record":
        return this.record(t.name);
      default:
        return null;
    }
  }

  private record(name: string): Shape {
    const known = this.recs.get(name);
    if (known) return known;
    const fields = this.types[name]?.fields ?? [];
    const names = fields.map((f) => f.jsonName);
    const optional = fields.map((f) => f.type.kind === "optional");
    let shapes: Array<Shape | null> = [];
    const fn: Shape = (v) => {
      if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Map || v instanceof Uint8Array) return v;
      const o = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (let i = 0; i < names.length; i++) {
        let x = o[names[i]!];
        if (x === undefined && optional[i]) x = null;
        const s = shapes[i];
        out[names[i]!] = s && x !== undefined && x !== null ? s(x) : x;
      }
      return out;
    };
    this.recs.set(name, fn);
    shapes = fields.map((f) => this.compile(f.type));
    return fn;
  }

  /** Whether a value of `t` may hold a record with an optional field. */
  private need(t: VType, seen: Set<string>): boolean {
    switch (t.kind) {
      case "optional":
        return this.need(t.inner, seen);
      case "list":
      case "array":
        return this.need(t.elem, seen);
      case "map":
        return this.need(t.value, seen);
      case "record": {
        const known = this.needs.get(t.name);
        if (known !== undefined) return known;
        if (seen.has(t.name)) return false;
        seen.add(t.name);
        const fields = this.types[t.name]?.fields ?? [];
        const r = fields.some((f) => f.type.kind === "optional" || this.need(f.type, seen));
        if (r || seen.size === 1) this.needs.set(t.name, r);
        return r;
      }
      default:
        return false;
    }
  }
}
