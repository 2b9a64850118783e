import { describe, expect, it } from "vitest";
import type { Signature, TypeTable, VType } from "../../runtime/abi/value-types.js";
import {
  argsFromWire,
  argsToWire,
  fromWire,
  resultFromWire,
  resultToWire,
  toWire,
} from "../../runtime/protocol/wire-values.js";

const i64: VType = { kind: "int", bits: 64, signed: true };
const u64: VType = { kind: "int", bits: 64, signed: false };
const i8: VType = { kind: "int", bits: 8, signed: true };
const f32: VType = { kind: "float", bits: 32 };
const f64: VType = { kind: "float", bits: 64 };
const str: VType = { kind: "string" };
const bytes: VType = { kind: "bytes" };
const types: TypeTable = {
  Emp: {
    name: "Emp",
    origin: "x.Emp",
    fields: [
      { name: "Name", jsonName: "name", type: str },
      { name: "Boss", jsonName: "boss", type: { kind: "optional", inner: { kind: "record", name: "Emp" } } },
      { name: "Tags", jsonName: "tags", type: { kind: "map", key: i64, value: { kind: "list", elem: str } } },
    ],
  },
};
const emp: VType = { kind: "record", name: "Emp" };

const roundTrip = (v: unknown, t: VType) => {
  const w = JSON.parse(JSON.stringify(toWire(v, t, types)));
  return { wire: w, back: fromWire(w, t, types) };
};

describe("wire values", () => {
  it("writes bigints as {$i}, bytes as {$b}, maps as {$m}, special floats as {$f}", () => {
    expect(toWire(2n ** 63n - 1n, i64, types)).toEqual({ $i: "9223372036854775807" });
    expect(toWire(5, i64, types)).toEqual({ $i: "5" });
    expect(toWire(-5, i8, types)).toBe(-5);
    expect(toWire(new Uint8Array([0, 255]), bytes, types)).toEqual({ $b: "AP8=" });
    expect(
      toWire(new Map([[1n, ["a"]]]), { kind: "map", key: i64, value: { kind: "list", elem: str } }, types),
    ).toEqual({ $m: [[{ $i: "1" }, ["a"]]] });
    expect(toWire(Number.NaN, f64, types)).toEqual({ $f: "NaN" });
    expect(toWire(-0, f64, types)).toEqual({ $f: "-0" });
    expect(toWire(-Infinity, f32, types)).toEqual({ $f: "-Infinity" });
    expect(toWire(0.1, f32, types)).toBe(Math.fround(0.1));
  });

  it("round-trips every kind through JSON text", () => {
    const e = {
      name: "a",
      boss: { name: "b", boss: null, tags: new Map() },
      tags: new Map([[-(2n ** 63n), ["x", "y"]]]),
    };
    expect(roundTrip(e, emp).back).toEqual(e);
    expect(roundTrip(2n ** 64n - 1n, u64).back).toBe(2n ** 64n - 1n);
    expect(Object.is(roundTrip(-0, f64).back, -0)).toBe(true);
    expect(roundTrip(new Uint8Array([1, 2, 3]), bytes).back).toEqual(new Uint8Array([1, 2, 3]));
    expect(roundTrip([1, 2], { kind: "array", elem: i8, length: 2 }).back).toEqual([1, 2]);
  });

  it("reads plain safe integers and refuses unsafe ones, out-of-range values and wrong tags", () => {
    expect(fromWire(42, i64, types)).toBe(42n);
    expect(fromWire({ $i: "-128" }, i8, types)).toBe(-128);
    expect(() => fromWire(2 ** 53, i64, types)).toThrow(/not a safe integer/);
    expect(() => fromWire(128, i8, types)).toThrow(/out of range/);
    expect(() => fromWire({ $i: "1", x: 1 }, i64, types)).toThrow(/expected int<64,signed>/);
    expect(() => fromWire({ $i: "1e3" }, i64, types)).toThrow();
    expect(() => fromWire(1.5, i64, types)).toThrow();
    expect(() => fromWire("AQ==", bytes, types)).toThrow(/\$b/);
    expect(() =>
      fromWire(
        {
          $m: [
            [1, "a"],
            [1, "b"],
          ],
        },
        { kind: "map", key: i8, value: str },
        types,
      ),
    ).toThrow(/duplicate/);
    expect(() => fromWire({ a: 1 }, { kind: "map", key: str, value: i8 }, types)).toThrow(/\$m/);
    expect(() => fromWire({ name: "a", tags: { $m: [] }, extra: 1 }, emp, types)).toThrow(/unknown field/);
  });

  it("converts arguments by the signature, naming the parameter in errors", () => {
    const sig: Signature = {
      params: [
        { name: "who", type: emp },
        { name: "xs", type: { kind: "list", elem: i64 }, variadic: true },
      ],
      results: [str, i64],
      error: false,
    };
    const args = argsFromWire([{ name: "z", tags: { $m: [] } }, 1, { $i: "2" }], sig, types, "f");
    expect(args).toEqual([{ name: "z", boss: null, tags: new Map() }, 1n, 2n]);
    expect(argsToWire([{ name: "z", boss: null, tags: new Map() }, 1n], sig, types)).toEqual([
      { name: "z", boss: null, tags: { $m: [] } },
      { $i: "1" },
    ]);
    expect(() => argsFromWire([], sig, types, "f")).toThrow("expected at least 1 argument(s) (who, ...xs), got 0");
    expect(() => argsFromWire([{ name: "z", tags: { $m: [[{ $i: "1" }, [3]]] } }], sig, types, "f")).toThrow(
      "who.tags[1][0]: expected string, got number 3",
    );
    expect(() => argsFromWire([{ name: "z", tags: { $m: [] } }, "q"], sig, types, "f")).toThrow(/^xs\[0\]: /);
    let err: unknown;
    try {
      argsFromWire("nope", sig, types, "f");
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "DCM_BAD_ARGUMENTS", fragment: "f" });
    expect(resultToWire(["a", 3n], sig, types)).toEqual(["a", { $i: "3" }]);
    expect(resultFromWire(["a", { $i: "3" }], sig, types)).toEqual(["a", 3n]);
    expect(resultToWire(null, { params: [], results: [], error: true }, types)).toBeNull();
  });
});
