/**
 * Property tests of the codec: generated types and values survive
 * encode → decode, edge values included.
 */
import { describe, expect, it } from "vitest";
import { decodeValue, encodeValue } from "../../../runtime/abi/codec.js";
import type { JsValue } from "../../../runtime/abi/js-values.js";
import type { VType } from "../../../runtime/abi/value-types.js";
import { types } from "./sample-types.js";

/** mulberry32: a seeded PRNG so that failures reproduce. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}
type Rng = ReturnType<typeof rng>;


const STRINGS = [
  "",
  "a",
  "h€",
  "😀",
  "e\u0301",
  "👩‍👩‍👧",
  "\u0000",
  "x".repeat(300),
  "ü".repeat(60),
  "🎉".repeat(40),
  "\uffff\ud800\udc00",
];
const INT_EDGES: Record<string, Array<number | bigint>> = {
  "8s": [-128, 127, 0, -1],
  "8u": [0, 255],
  "16s": [-32768, 32767],
  "16u": [0, 65535],
  "32s": [-2147483648, 2147483647],
  "32u": [0, 4294967295],
  "64s": [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n],
  "64u": [0n, 2n ** 64n - 1n, 2n ** 63n],
};
const FLOATS = [0, -0, Number.NaN, Infinity, -Infinity, 1.5, -2.25, Number.MIN_VALUE, Number.MAX_VALUE, 0.1, 1e-310];

function genType(r: Rng, depth: number): VType {
  const leaf: VType[] = [
    { kind: "bool" },
    { kind: "string" },
    { kind: "bytes" },
    { kind: "float", bits: r.pick([32, 64] as const) },
    { kind: "int", bits: r.pick([8, 16, 32, 64] as const), signed: r.next() < 0.5 },
  ];
  if (depth <= 0 || r.next() < 0.4) return r.pick(leaf);
  const inner = () => genType(r, depth - 1);
  switch (r.int(6)) {
    case 0:
      return { kind: "list", elem: inner() };
    case 1:
      return { kind: "array", elem: inner(), length: r.int(4) };
    case 2:
      return { kind: "map", key: r.pick(leaf.filter((t) => t.kind !== "bytes")), value: inner() };
    case 3:
      return { kind: "optional", inner: inner() };
    default:
      return { kind: "record", name: r.pick(["Address", "Node", "Emp"]) };
  }
}

function genValue(r: Rng, t: VType, depth = 0): JsValue {
  switch (t.kind) {
    case "bool":
      return r.next() < 0.5;
    case "string":
      return r.pick(STRINGS);
    case "bytes":
      return new Uint8Array(Array.from({ length: r.int(5) }, () => r.int(256)));
    case "float": {
      const v = r.next() < 0.5 ? r.pick(FLOATS) : (r.next() - 0.5) * 10 ** r.int(40);
      return t.bits === 32 ? Math.fround(v) : v;
    }
    case "int": {
      const edges = INT_EDGES[`${t.bits}${t.signed ? "s" : "u"}`]!;
      if (r.next() < 0.5) return r.pick(edges);
      const span = Math.min(1000, 2 ** t.bits);
      const v = r.int(span) - (t.signed ? span / 2 : 0);
      return t.bits === 64 ? BigInt(v) : v;
    }
    case "list":
      return Array.from({ length: depth > 3 ? 0 : r.int(4) }, () => genValue(r, t.elem, depth + 1));
    case "array":
      return Array.from({ length: t.length }, () => genValue(r, t.elem, depth + 1));
    case "map": {
      const m = new Map<JsValue, JsValue>();
      for (let i = depth > 3 ? 0 : r.int(4); i > 0; i--) {
        const k = genValue(r, t.key, depth + 1);
        if (typeof k === "number" && Number.isNaN(k)) continue;
        if ([...m.keys()].some((x) => Object.is(x, k) || x === k)) continue;
        m.set(k, genValue(r, t.value, depth + 1));
      }
      return m;
    }
    case "optional":
      return r.next() < 0.3 ? null : genValue(r, t.inner, depth + 1);
    case "record": {
      const def = types[t.name]!;
      const o: { [k: string]: JsValue } = {};
      for (const f of def.fields) {
        o[f.jsonName] = f.type.kind === "optional" && depth > 2 ? null : genValue(r, f.type, depth + 1);
      }
      return o;
    }
  }
}

/** What decoding gives back: map entries sorted, +0/-0 keys merged, as the wire does. */
function sortMaps(v: JsValue, t: VType): JsValue {
  switch (t.kind) {
    case "list":
    case "array":
      return (v as JsValue[]).map((x) => sortMaps(x, t.elem));
    case "optional":
      return v === null ? null : sortMaps(v, t.inner);
    case "record": {
      const o: { [k: string]: JsValue } = {};
      for (const f of types[t.name]!.fields)
        o[f.jsonName] = sortMaps((v as Record<string, JsValue>)[f.jsonName]!, f.type);
      return o;
    }
    case "map": {
      const entries = [...(v as Map<JsValue, JsValue>)].map(
        ([k, x]) => [k, sortMaps(x, t.value)] as [JsValue, JsValue],
      );
      const hex = (k: JsValue) =>
        Array.from(encodeValue(t.key, types, k), (b) => b.toString(16).padStart(2, "0")).join("");
      entries.sort((a, b) => {
        if (typeof a[0] === "string") return Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0] as string));
        if (typeof a[0] === "boolean") return Number(a[0]) - Number(b[0]);
        if (typeof a[0] === "bigint") return a[0] < (b[0] as bigint) ? -1 : 1;
        if (typeof a[0] === "number") return a[0] - (b[0] as number);
        return hex(a[0]) < hex(b[0]) ? -1 : 1;
      });
      return new Map(entries);
    }
    default:
      return v;
  }
}

function expectSame(got: JsValue, want: JsValue): void {
  expect(got).toEqual(want);
  if (want instanceof Map) {
    expect([...(got as Map<JsValue, JsValue>).keys()]).toEqual([...want.keys()]);
    for (const [k, v] of want) expectSame((got as Map<JsValue, JsValue>).get(k)!, v);
  } else if (Array.isArray(want)) {
    for (let i = 0; i < want.length; i++) expectSame((got as JsValue[])[i]!, want[i]!);
  }
}

describe("codec round trips", () => {
  it("keeps generated values of generated types (2000 cases)", () => {
    const r = rng(12345);
    for (let n = 0; n < 2000; n++) {
      const t = genType(r, 3);
      const v = genValue(r, t);
      const bytes = encodeValue(t, types, v);
      expectSame(decodeValue(t, types, bytes), sortMaps(v, t));
      // Encoding is canonical: the decoded value encodes to the same bytes.
      expect(encodeValue(t, types, decodeValue(t, types, bytes))).toEqual(bytes);
    }
  });

  it("keeps every edge value", () => {
    for (const [key, edges] of Object.entries(INT_EDGES)) {
      const t: VType = { kind: "int", bits: Number.parseInt(key, 10) as 8, signed: key.endsWith("s") };
      for (const v of edges) expect(decodeValue(t, types, encodeValue(t, types, v))).toBe(v);
    }
    for (const v of FLOATS) {
      expect(
        Object.is(
          decodeValue({ kind: "float", bits: 64 }, types, encodeValue({ kind: "float", bits: 64 }, types, v)),
          v,
        ),
      ).toBe(true);
      const f = Math.fround(v);
      expect(
        Object.is(
          decodeValue({ kind: "float", bits: 32 }, types, encodeValue({ kind: "float", bits: 32 }, types, f)),
          f,
        ),
      ).toBe(true);
    }
    for (const s of STRINGS.filter((x) => !x.includes("\ud800\udc00") || x.length > 0)) {
      expect(decodeValue({ kind: "string" }, types, encodeValue({ kind: "string" }, types, s))).toBe(s);
    }
  });

  it("writes lone surrogates as U+FFFD and reads invalid UTF-8 as U+FFFD", () => {
    const t: VType = { kind: "string" };
    expect(decodeValue(t, types, encodeValue(t, types, "a\ud800b"))).toBe("a\ufffdb");
    expect(decodeValue(t, types, new Uint8Array([2, 0, 0, 0, 0xff, 0x61]))).toBe("\ufffda");
  });

  it("keeps recursive records and nested empty collections", () => {
    const t: VType = { kind: "record", name: "Node" };
    const v = { value: 1, next: { value: -0, next: { value: Number.NaN, next: null } } };
    expectSame(decodeValue(t, types, encodeValue(t, types, v)), v);
    const nested: VType = {
      kind: "list",
      elem: { kind: "map", key: { kind: "string" }, value: { kind: "list", elem: { kind: "bool" } } },
    };
    const nv = [new Map(), new Map([["a", []]])];
    expectSame(decodeValue(nested, types, encodeValue(nested, types, nv)), nv);
  });

  it("sorts map keys by UTF-8 bytes, numerically, and false before true", () => {
    const order = (key: VType, keys: JsValue[]) => {
      const t: VType = { kind: "map", key, value: { kind: "bool" } };
      return [
        ...(
          decodeValue(t, types, encodeValue(t, types, new Map(keys.map((k) => [k, true])))) as Map<JsValue, JsValue>
        ).keys(),
      ];
    };
    expect(order({ kind: "string" }, ["\uffff", "😀", "b", "a", "ab"])).toEqual(["a", "ab", "b", "\uffff", "😀"]);
    expect(order({ kind: "int", bits: 32, signed: true }, [3, -1, 2])).toEqual([-1, 2, 3]);
    expect(order({ kind: "int", bits: 64, signed: false }, [2n ** 64n - 1n, 5, 0n])).toEqual([0n, 5n, 2n ** 64n - 1n]);
    expect(order({ kind: "float", bits: 64 }, [1.5, -Infinity, Number.NaN, 0])).toEqual([
      Number.NaN,
      -Infinity,
      0,
      1.5,
    ]);
    expect(order({ kind: "bool" }, [true, false])).toEqual([false, true]);
  });
});
