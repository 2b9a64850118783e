import { describe, expect, it } from "vitest";
import { FragmentCallError } from "../../../runtime/abi/call-error.js";
import type { JsValue } from "../../../runtime/abi/js-values.js";
import { formatFloat32, parseFloat32 } from "../../../runtime/abi/json-numbers.js";
import { errorJson, parseJsonArgs, toCanonicalJson } from "../../../runtime/abi/json-values.js";
import type { Signature, TypeTable, VType } from "../../../runtime/abi/value-types.js";

const i = (bits: 8 | 16 | 32 | 64, signed = true): VType => ({ kind: "int", bits, signed });
const f32: VType = { kind: "float", bits: 32 };
const f64: VType = { kind: "float", bits: 64 };
const str: VType = { kind: "string" };
const types: TypeTable = {
  Emp: {
    name: "Emp",
    origin: "x.Emp",
    fields: [
      { name: "Name", jsonName: "name", type: str },
      { name: "Zip", jsonName: "Zip", type: i(32) },
      { name: "Boss", jsonName: "boss", type: { kind: "optional", inner: { kind: "record", name: "Emp" } } },
    ],
  },
};
const one = (t: VType): Signature => ({ params: [{ name: "x", type: t }], results: [t], error: false });
const parse1 = (t: VType, json: string) => parseJsonArgs(`[${json}]`, one(t), types)[0]!;
const round = (t: VType, json: string) => toCanonicalJson(parse1(t, json), t, types);

function bad(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FragmentCallError);
    expect((e as FragmentCallError).code).toBe("DCM_BAD_ARGUMENTS");
    return (e as Error).message;
  }
  throw new Error("expected DCM_BAD_ARGUMENTS");
}

describe("parseJsonArgs", () => {
  it("reads integers of any size exactly", () => {
    expect(parse1(i(64), "-9223372036854775808")).toBe(-9223372036854775808n);
    expect(parse1(i(64, false), "18446744073709551615")).toBe(18446744073709551615n);
    expect(parse1(i(64), "9007199254740993")).toBe(9007199254740993n);
    expect(parse1(i(32), "1e3")).toBe(1000);
    expect(parse1(i(32), "-2.0")).toBe(-2);
    expect(parse1(i(64), '"123"')).toBe(123n);
    expect(bad(() => parse1(i(64), "9223372036854775808"))).toBe(
      "x: 9223372036854775808 out of range for int<64,signed>",
    );
    expect(bad(() => parse1(i(8, false), "-1"))).toBe("x: -1 out of range for int<8,unsigned>");
    expect(bad(() => parse1(i(32), "1.5"))).toBe("x: expected int<32,signed>, got number 1.5");
    expect(bad(() => parse1(i(32), "1e400"))).toBe("x: expected int<32,signed>, got number 1e400");
  });

  it("reads floats, special values and float32 without double rounding", () => {
    expect(Object.is(parse1(f64, "-0"), -0)).toBe(true);
    expect(Object.is(parse1(f64, '"-0"'), -0)).toBe(true);
    expect(parse1(f64, '"NaN"')).toBeNaN();
    expect(parse1(f64, '"Infinity"')).toBe(Infinity);
    expect(parse1(f32, '"-Infinity"')).toBe(-Infinity);
    expect(parse1(f64, "0.1")).toBe(0.1);
    expect(parse1(f32, "0.1")).toBe(Math.fround(0.1));
    // Halfway between float32 1 and its successor, plus a tiny bit: rounds up; via double it would round to 1.
    expect(parseFloat32("1.00000005960464477539062500000000001")).toBe(1 + 2 ** -23);
    expect(parseFloat32("1.000000059604644775390625")).toBe(1);
    expect(bad(() => parse1(f32, "1e39"))).toBe("x: 1e39 out of range for float<32>");
    expect(bad(() => parse1(f64, '"nan"'))).toBe("x: expected float<64>, got string");
  });

  it("reads bytes, lists, maps, records and optionals", () => {
    expect(parse1({ kind: "bytes" }, '"AQID"')).toEqual(new Uint8Array([1, 2, 3]));
    expect(parse1({ kind: "bytes" }, '"AQI"')).toEqual(new Uint8Array([1, 2]));
    expect(parse1({ kind: "list", elem: i(8) }, "[1, -1]")).toEqual([1, -1]);
    expect(parse1({ kind: "map", key: i(64), value: { kind: "bool" } }, '{"2": true, "-1": false}')).toEqual(
      new Map<JsValue, JsValue>([
        [2n, true],
        [-1n, false],
      ]),
    );
    expect(parse1({ kind: "map", key: { kind: "bool" }, value: str }, '{"true": "y"}')).toEqual(new Map([[true, "y"]]));
    expect(parse1({ kind: "record", name: "Emp" }, '{"name": "a", "Zip": 1}')).toEqual({
      name: "a",
      Zip: 1,
      boss: null,
    });
    expect(parse1({ kind: "optional", inner: str }, "null")).toBeNull();
  });

  it("names the parameter and path of a bad argument", () => {
    const sig: Signature = {
      params: [
        { name: "emp", type: { kind: "record", name: "Emp" } },
        { name: "rest", type: { kind: "list", elem: i(16) }, variadic: true },
      ],
      results: [],
      error: false,
    };
    expect(parseJsonArgs('[{"name":"a","Zip":1}, 1, 2]', sig, types)).toEqual([
      { name: "a", Zip: 1, boss: null },
      1,
      2,
    ]);
    expect(bad(() => parseJsonArgs('[{"name":"a","Zip":1,"boss":{"name":"b","Zip":"z"}}]', sig, types))).toBe(
      "emp.boss.Zip: expected int<32,signed>, got string",
    );
    expect(bad(() => parseJsonArgs('[{"name":"a"}]', sig, types))).toBe(
      "emp.Zip: missing field (expected int<32,signed>)",
    );
    expect(bad(() => parseJsonArgs('[{"name":"a","Zip":1,"zip":2}]', sig, types))).toBe(
      'emp: unknown field(s) "zip" for record Emp',
    );
    expect(bad(() => parseJsonArgs('[{"name":"a","Zip":1}, 1, 70000]', sig, types))).toBe(
      "rest[1]: 70000 out of range for int<16,signed>",
    );
    expect(bad(() => parseJsonArgs("[]", sig, types))).toBe("expected at least 1 argument(s) (emp, ...rest), got 0");
    expect(bad(() => parseJsonArgs("{}", sig, types))).toMatch(/must be a JSON array/);
    expect(bad(() => parseJsonArgs("[1,", sig, types))).toMatch(/invalid JSON at offset 3/);
    expect(bad(() => parse1({ kind: "map", key: i(8), value: str }, '{"300": "x"}'))).toBe(
      'x["300"]: map key: 300 out of range for int<8,signed>',
    );
  });
});

describe("toCanonicalJson", () => {
  it("writes exact integers, shortest floats and special values", () => {
    expect(toCanonicalJson(18446744073709551615n, i(64, false), types)).toBe("18446744073709551615");
    expect(toCanonicalJson(-9223372036854775808n, i(64), types)).toBe("-9223372036854775808");
    expect(toCanonicalJson(-0, f64, types)).toBe("-0");
    expect(toCanonicalJson(Number.NaN, f64, types)).toBe('"NaN"');
    expect(toCanonicalJson(-Infinity, f32, types)).toBe('"-Infinity"');
    expect(toCanonicalJson(0.1, f64, types)).toBe("0.1");
    expect(toCanonicalJson(Math.fround(0.1), f32, types)).toBe("0.1");
    expect(toCanonicalJson(Math.fround(16777217), f32, types)).toBe("16777216");
    expect(toCanonicalJson(1e21, f64, types)).toBe("1e+21");
    expect(formatFloat32(3.4028234663852886e38)).toBe("3.4028235e+38");
    expect(formatFloat32(1.401298464324817e-45)).toBe("1e-45");
  });

  it("writes bytes, maps, records, optionals and tuples", () => {
    expect(toCanonicalJson(new Uint8Array([1, 2, 3, 4]), { kind: "bytes" }, types)).toBe('"AQIDBA=="');
    const m = new Map<JsValue, JsValue>([
      [2n, "b"],
      [-1n, "a"],
    ]);
    expect(toCanonicalJson(m, { kind: "map", key: i(64), value: str }, types)).toBe('{"2":"b","-1":"a"}');
    expect(toCanonicalJson({ Zip: 1, name: "a", boss: null }, { kind: "record", name: "Emp" }, types)).toBe(
      '{"name":"a","Zip":1,"boss":null}',
    );
    expect(toCanonicalJson([5, "a"], [i(32), str], types)).toBe('[5,"a"]');
    expect(toCanonicalJson(null, [], types)).toBe("null");
    expect(toCanonicalJson("é\n", [str], types)).toBe('"é\\n"');
  });

  it("round-trips through parseJsonArgs", () => {
    const cases: Array<[VType, string]> = [
      [i(64, false), "18446744073709551615"],
      [f64, "-0"],
      [f64, '"NaN"'],
      [f64, "5e-324"],
      [f32, "1.1754944e-38"],
      [f32, "0.3"],
      [
        { kind: "map", key: f64, value: { kind: "list", elem: { kind: "bytes" } } },
        '{"-2.5":[],"NaN":["AA=="],"1.5":[""]}',
      ],
      [{ kind: "record", name: "Emp" }, '{"name":"😀","Zip":-1,"boss":{"name":"b","Zip":2,"boss":null}}'],
      [{ kind: "array", elem: { kind: "optional", inner: { kind: "bool" } }, length: 2 }, "[null,true]"],
    ];
    for (const [t, json] of cases) expect(round(t, json)).toBe(json);
    for (let n = 0; n < 2000; n++) {
      const f = Math.fround((Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 70 - 35));
      expect(parse1(f32, toCanonicalJson(f, f32, types))).toBe(f);
      const d = (Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 600 - 300);
      expect(parse1(f64, toCanonicalJson(d, f64, types))).toBe(d);
    }
  });
});

describe("errorJson", () => {
  it("wraps code and message", () => {
    expect(errorJson("DCM_FRAGMENT_ERROR", 'bad "x"')).toBe(
      '{"error":{"code":"DCM_FRAGMENT_ERROR","message":"bad \\"x\\""}}',
    );
  });
});
