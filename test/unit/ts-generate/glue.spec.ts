/**
 * The TypeScript glue (languages/typescript/runtime/js-glue.ts) on a real
 * esbuild bundle of fixtures/glue: argument validation and copying,
 * null -> undefined lifting, result normalisation through the codec, and
 * the mapping of thrown values to FragmentCallError codes.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { thrownToError } from "../../../languages/typescript/runtime/js-glue.js";
import { FragmentCallError } from "../../../runtime/abi/call-error.js";
import { sigCodec } from "../../../runtime/abi/codec.js";
import type { JsValue } from "../../../runtime/abi/js-values.js";
import type { FragmentInstance } from "../../../runtime/abi/module-types.js";
import type { VType } from "../../../runtime/abi/value-types.js";
import { Reader, Writer } from "../../../runtime/abi/wire-io.js";
import { loadFixture, TS_FIXTURES } from "./ts-fixture.js";

let inst: FragmentInstance;

beforeAll(async () => {
  inst = (await loadFixture(join(TS_FIXTURES, "glue"))).instance;
});

function failure(id: string, args: JsValue[]): { code: string; message: string } {
  try {
    inst.call(id, args);
  } catch (e) {
    expect(e).toBeInstanceOf(FragmentCallError);
    const f = e as FragmentCallError;
    expect(f.fragment).toBe(id);
    return { code: f.code, message: f.message };
  }
  throw new Error(`${id} did not fail`);
}

const item = (name: string, extra: Record<string, JsValue> = {}) => ({ name, qty: 1n, note: null, parent: null, ...extra });

describe("arguments", () => {
  it("are validated against the signature, naming the parameter and the path", () => {
    expect(failure("sortInPlace", [[1, "x"]])).toEqual({
      code: "DCM_BAD_ARGUMENTS",
      message: "xs[1]: expected float<64>, got string",
    });
    expect(failure("inspect", [{ name: "a", qty: 1n, parent: null, bogus: 1 }, null]).code).toBe("DCM_BAD_ARGUMENTS");
    expect(failure("echoBig", [2n ** 63n])).toEqual({
      code: "DCM_BAD_ARGUMENTS",
      message: "x: 9223372036854775808 out of range for int<64,signed>",
    });
    expect(failure("echoBig", [])).toEqual({ code: "DCM_BAD_ARGUMENTS", message: "expected 1 argument(s) (x), got 0" });
    expect(failure("sortInPlace", [])).toEqual({ code: "DCM_BAD_ARGUMENTS", message: "expected 1 argument(s) (xs), got 0" });
  });

  it("are copies: a fragment that mutates its argument does not change the caller's value", () => {
    const xs = [3, 1, 2];
    expect(inst.call("sortInPlace", [xs])).toEqual([1, 2, 3]);
    expect(xs).toEqual([3, 1, 2]);
  });

  it("arrive as the TypeScript types say: bigint for int64, undefined (absent) for `?:`, null for `| null`", () => {
    expect(inst.call("echoBig", [42])).toBe(42n);
    expect(inst.call("inspect", [item("a"), null])).toBe("no note parent=null label=undefined");
    expect(inst.call("inspect", [item("a", { note: "n", parent: item("p") }), "L"])).toBe("note=n parent=p label=L");
    // The scalar fast path does the same for `x?: number`, and keeps null for `y: number | null`.
    expect(inst.call("optScalar", [null, null])).toBe(null);
    expect(inst.call("optScalar", [null, 3])).toBe(-1);
    expect(inst.call("optScalar", [2.5, null])).toBe(2.5);
    expect(failure("optScalar", ["x", null]).message).toBe("x: expected float<64>, got string");
  });
});

describe("results", () => {
  it("are normalised like a decoded result frame: missing optional fields are null, extra fields are dropped", () => {
    expect(inst.call("makeItem", ["x"])).toEqual({ name: "x", qty: 1n, note: null, parent: null });
    expect(inst.call("nestedItems", [[item("a", { note: "n" })]])).toEqual([item("a")]);
    expect(inst.call("pairs", [2])).toEqual(["2", { name: "p", qty: 2n, note: null, parent: null }]);
    expect(inst.call("pairs", [0])).toEqual(["0", null]);
  });

  it("have sorted map keys and well-formed strings", () => {
    const m = inst.call("unsortedMap", []) as Map<string, number>;
    expect([...m.keys()]).toEqual(["Z", "a", "b", "é"]);
    expect(inst.call("lone", [])).toBe("a\uFFFD");
  });

  it("that do not fit the declared type are a panic saying what did not fit", () => {
    expect(failure("lies", [1])).toEqual({
      code: "DCM_FRAGMENT_PANIC",
      message: "the result does not fit the declared type: result: expected float<64>, got string",
    });
    expect(failure("tooBig", [])).toEqual({
      code: "DCM_FRAGMENT_PANIC",
      message: "the result does not fit the declared type: result: 18446744073709551616 out of range for int<64,signed>",
    });
  });
});

describe("errors", () => {
  it("maps a user Error subclass to DCM_FRAGMENT_ERROR and a built-in RangeError to a panic", () => {
    expect(failure("custom", [])).toEqual({ code: "DCM_FRAGMENT_ERROR", message: "custom failure" });
    expect(failure("rangeErr", [])).toEqual({ code: "DCM_FRAGMENT_PANIC", message: "RangeError: bad range" });
  });

  it("maps every kind of thrown value", () => {
    const map = (e: unknown) => {
      const f = thrownToError(e, "f");
      return [f.code, f.message];
    };
    expect(map(new Error("e"))).toEqual(["DCM_FRAGMENT_ERROR", "e"]);
    expect(map(new TypeError("t"))).toEqual(["DCM_FRAGMENT_PANIC", "TypeError: t"]);
    expect(map(new ReferenceError("r"))).toEqual(["DCM_FRAGMENT_PANIC", "ReferenceError: r"]);
    expect(map(new SyntaxError("s"))).toEqual(["DCM_FRAGMENT_PANIC", "SyntaxError: s"]);
    expect(map(new (class Mine extends TypeError {})("sub"))).toEqual(["DCM_FRAGMENT_ERROR", "sub"]);
    expect(map("text")).toEqual(["DCM_FRAGMENT_PANIC", 'threw a non-Error value: "text"']);
    expect(map(7n)).toEqual(["DCM_FRAGMENT_PANIC", "threw a non-Error value: 7n"]);
    expect(map({ a: 1 })).toEqual(["DCM_FRAGMENT_PANIC", 'threw a non-Error value: {"a":1}']);
    expect(map(undefined)).toEqual(["DCM_FRAGMENT_PANIC", "threw a non-Error value: undefined"]);
  });

  it("refuses unknown and non-callable fragments", () => {
    expect(failure("nope", []).code).toBe("DCM_UNKNOWN_FRAGMENT");
    expect(failure("version", []).code).toBe("DCM_NOT_CALLABLE");
  });
});

/** What a WASM module's call gives: the arguments and the result encoded and decoded by the runtime/abi codec. */
function throughCodec(param: VType, result: VType, arg: JsValue, fn: (x: unknown) => unknown): { ok: JsValue } | { code: string; message: string } {
  const codec = sigCodec({ params: [{ name: "x", type: param }], results: [result], error: false }, {});
  const w = new Writer(64);
  try {
    codec.writeArgs(w, [arg], "f");
  } catch (e) {
    return { code: (e as FragmentCallError).code, message: (e as FragmentCallError).message };
  }
  const [x] = codec.readArgs(new Reader().from(w.buf.subarray(0, w.pos)));
  w.pos = 0;
  try {
    codec.writeResult(w, { status: 0, value: fn(x) as JsValue });
  } catch (e) {
    return { code: "DCM_FRAGMENT_PANIC", message: `the result does not fit the declared type: ${(e as Error).message}` };
  }
  return { ok: codec.readResultValue(new Reader().from(w.buf.subarray(0, w.pos)), "f") };
}

function outcome(id: string, args: JsValue[]): { ok: JsValue } | { code: string; message: string } {
  try {
    return { ok: inst.call(id, args) };
  } catch (e) {
    return { code: (e as FragmentCallError).code, message: (e as FragmentCallError).message };
  }
}

describe("integer widths and float32 (type i8 = number, …, type u64 = bigint)", () => {
  const int = (bits: 8 | 16 | 32 | 64, signed: boolean): VType => ({ kind: "int", bits, signed });
  const small: Array<[string, VType]> = [
    ["I8", int(8, true)],
    ["I16", int(16, true)],
    ["I32", int(32, true)],
    ["U8", int(8, false)],
    ["U16", int(16, false)],
    ["U32", int(32, false)],
    ["F32", { kind: "float", bits: 32 }],
  ];
  const numbers: JsValue[] = [
    0, -0, 1, -1, 1.5, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, -32769, 65535, 65536,
    2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, 2 ** 60,
    0.1, 1e-46, 3.4028234663852886e38, 3.5e38, Number.NaN, Infinity, -Infinity, 5n, -1n, 300n, 2n ** 40n, "7", null,
  ];
  const f64: VType = { kind: "float", bits: 64 };

  it("check and convert arguments and results exactly as a codec round trip (a WASM module) does", () => {
    for (const [name, t] of small) {
      for (const v of numbers) {
        expect(outcome(`echo${name}`, [v]), `echo${name}(${String(v)})`).toEqual(throughCodec(t, t, v, (x) => x));
        if (typeof v === "number") {
          expect(outcome(`as${name}`, [v]), `as${name}(${v})`).toEqual(throughCodec(f64, t, v, (x) => x));
        }
      }
    }
    const bigs: JsValue[] = [0n, -1n, 1n, 2n ** 63n - 1n, 2n ** 63n, -(2n ** 63n), -(2n ** 63n) - 1n, 2n ** 64n - 1n, 2n ** 64n, 5, -5, 2 ** 53, 1.5];
    for (const [name, t] of [
      ["I64", int(64, true)],
      ["U64", int(64, false)],
    ] as const) {
      for (const v of bigs) {
        expect(outcome(`echo${name}`, [v]), `echo${name}(${String(v)})`).toEqual(throughCodec(t, t, v, (x) => x));
        if (typeof v === "bigint") {
          const str: VType = { kind: "string" };
          expect(outcome(`as${name}`, [String(v)]), `as${name}(${v})`).toEqual(throughCodec(str, t, String(v), (x) => BigInt(x as string)));
        }
      }
    }
  });

  it("refuse arguments out of range, name a result that does not fit, and round float32 results", () => {
    expect(failure("echoI32", [2 ** 31])).toEqual({ code: "DCM_BAD_ARGUMENTS", message: "x: 2147483648 out of range for int<32,signed>" });
    expect(failure("echoU8", [1.5])).toEqual({ code: "DCM_BAD_ARGUMENTS", message: "x: expected int<8,unsigned>, got number 1.5" });
    expect(failure("echoU64", [-1n])).toEqual({ code: "DCM_BAD_ARGUMENTS", message: "x: -1 out of range for int<64,unsigned>" });
    expect(failure("asU8", [256])).toEqual({
      code: "DCM_FRAGMENT_PANIC",
      message: "the result does not fit the declared type: result: 256 out of range for int<8,unsigned>",
    });
    expect(inst.call("echoU64", [2n ** 64n - 1n])).toBe(2n ** 64n - 1n);
    expect(inst.call("asF32", [0.1])).toBe(Math.fround(0.1));
    expect(inst.call("asF32", [3.5e38])).toBe(Infinity);
    expect(inst.call("wrapU8", [200, 100])).toBe(44);
  });

  it("hand the function what a WASM module would get: -0 as 0, float32 rounded, u64 as bigint", () => {
    expect(inst.call("seen", [-0, 4294967295, 0.1, 2n ** 64n - 1n])).toBe(
      `number:0 number:4294967295 number:${Math.fround(0.1)} bigint:18446744073709551615`,
    );
    expect(inst.call("seen", [5n, 7n, -0, 3])).toBe("number:5 number:7 number:-0 bigint:3");
  });

  it("go through the codec path in records, lists, maps and optionals", () => {
    const s = { small: 1, count: 65535, ratio: 0.1, big: 2n ** 64n - 1n, limit: null };
    expect(inst.call("bump", [s])).toEqual({ ...s, small: 2, ratio: Math.fround(0.1) });
    expect(failure("bump", [{ ...s, small: 127 }])).toEqual({
      code: "DCM_FRAGMENT_PANIC",
      message: "the result does not fit the declared type: result.small: 128 out of range for int<8,signed>",
    });
    expect(failure("bump", [{ ...s, count: 65536 }])).toEqual({
      code: "DCM_BAD_ARGUMENTS",
      message: "s.count: 65536 out of range for int<16,unsigned>",
    });
    const m = new Map<JsValue, JsValue>([
      [-32768, 0.1],
      [7, 2.5],
    ]);
    expect(inst.call("widths", [[255, 255], m, 4294967295])).toEqual([510, [Math.fround(0.1), 2.5], 4294967295]);
    expect(failure("widths", [[256], m, null]).message).toBe("xs[0]: 256 out of range for int<8,unsigned>");
    expect(failure("widths", [[], new Map([[32768, 1]]), null]).code).toBe("DCM_BAD_ARGUMENTS");
    expect(failure("widths", [[], new Map(), -1]).message).toBe("o: -1 out of range for int<32,unsigned>");
  });
});

// How fast the scalar path is goes to bench/languages.ts (TypeScript calls against the bundled
// function called directly); here: the compiled plan is reused call after call and keeps nothing.
describe("many calls in a row", () => {
  it("the scalar path answers every call as the function does", () => {
    const n = 20_000;
    const wrong: string[] = [];
    for (let i = 0; i < n; i++) {
      const big = inst.call("echoBig", [BigInt(i) * 1_000_003n]);
      if (big !== BigInt(i) * 1_000_003n) wrong.push(`echoBig(${i}) = ${big}`);
      const u8 = inst.call("wrapU8", [i & 0xff, i % 7]);
      if (u8 !== ((i & 0xff) + (i % 7)) % 256) wrong.push(`wrapU8(${i & 0xff}, ${i % 7}) = ${u8}`);
    }
    expect(wrong).toEqual([]);
  });
});
