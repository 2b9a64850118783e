/**
 * The codec on whole argument lists and result frames: variadic arguments,
 * DCM_BAD_ARGUMENTS messages naming the parameter and path, malformed bytes.
 */
import { describe, expect, it } from "vitest";
import { FragmentCallError } from "../../../runtime/abi/call-error.js";
import {
  decodeArgs,
  decodeResultFrame,
  decodeValue,
  encodeArgs,
  encodeResultFrame,
  encodeValue,
} from "../../../runtime/abi/codec.js";
import type { JsValue } from "../../../runtime/abi/js-values.js";
import { DecodeError } from "../../../runtime/abi/value-errors.js";
import type { Signature, VType } from "../../../runtime/abi/value-types.js";
import { types } from "./sample-types.js";


const sig = (params: Signature["params"], results: VType[] = [], error = false): Signature => ({
  params,
  results,
  error,
});
const i32: VType = { kind: "int", bits: 32, signed: true };

function badArgs(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FragmentCallError);
    expect((e as FragmentCallError).code).toBe("DCM_BAD_ARGUMENTS");
    return (e as Error).message;
  }
  throw new Error("expected DCM_BAD_ARGUMENTS");
}

describe("argument lists", () => {
  const empSig = sig([
    { name: "emp", type: { kind: "record", name: "Emp" } },
    { name: "n", type: i32 },
  ]);
  const emp = { name: "a", Address: { street: "s", Zip: 1 }, tags: { b: new Uint8Array([1]) } };

  it("round-trips fixed and variadic arguments", () => {
    expect(decodeArgs(empSig, types, encodeArgs(empSig, types, [emp, 2]))).toEqual([
      { ...emp, tags: new Map([["b", new Uint8Array([1])]]) },
      2,
    ]);
    const v = sig([
      { name: "sep", type: { kind: "string" } },
      { name: "xs", type: { kind: "list", elem: i32 }, variadic: true },
    ]);
    expect(encodeArgs(v, types, [",", 1, 2])).toEqual(
      new Uint8Array([1, 0, 0, 0, 44, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]),
    );
    expect(decodeArgs(v, types, encodeArgs(v, types, [","]))).toEqual([","]);
    expect(decodeArgs(v, types, encodeArgs(v, types, [",", 7, 8, 9]))).toEqual([",", 7, 8, 9]);
    expect(badArgs(() => encodeArgs(v, types, [",", 1, "x"]))).toBe("xs[1]: expected int<32,signed>, got string");
    expect(badArgs(() => encodeArgs(v, types, []))).toMatch(/expected at least 1 argument/);
  });

  it("names the parameter and the path of a bad value", () => {
    const bad = { ...emp, Address: { street: "s", Zip: "x" } };
    expect(badArgs(() => encodeArgs(empSig, types, [bad, 1]))).toBe(
      "emp.Address.Zip: expected int<32,signed>, got string",
    );
    expect(badArgs(() => encodeArgs(empSig, types, [{ ...emp, Address: { street: "s" } }, 1]))).toBe(
      "emp.Address.Zip: missing field (expected int<32,signed>)",
    );
    expect(badArgs(() => encodeArgs(empSig, types, [{ ...emp, tags: { k: [1] } }, 1]))).toBe(
      'emp.tags["k"]: expected bytes, got array of length 1',
    );
    expect(badArgs(() => encodeArgs(empSig, types, [emp]))).toBe("expected 2 argument(s) (emp, n), got 1");
    expect(badArgs(() => encodeArgs(empSig, types, [emp, 2 ** 31]))).toBe(
      "n: 2147483648 out of range for int<32,signed>",
    );
    expect(badArgs(() => encodeArgs(empSig, types, [emp, 1.5]))).toBe("n: expected int<32,signed>, got number 1.5");
  });

  it("checks integer ranges, accepting numbers and bigints", () => {
    const one = (t: VType, v: unknown) => encodeArgs(sig([{ name: "x", type: t }]), types, [v as JsValue]);
    const u8: VType = { kind: "int", bits: 8, signed: false };
    const i64: VType = { kind: "int", bits: 64, signed: true };
    const u64: VType = { kind: "int", bits: 64, signed: false };
    expect(one(u8, 255n)).toEqual(new Uint8Array([255]));
    expect(badArgs(() => one(u8, 256))).toBe("x: 256 out of range for int<8,unsigned>");
    expect(badArgs(() => one(u8, -1n))).toBe("x: -1 out of range for int<8,unsigned>");
    expect(one(i64, -1)).toEqual(new Uint8Array(8).fill(255));
    expect(one(i64, Number.MIN_SAFE_INTEGER)).toEqual(encodeValue(i64, types, BigInt(Number.MIN_SAFE_INTEGER)));
    expect(badArgs(() => one(i64, 2 ** 53))).toMatch(/not a safe integer: pass a bigint/);
    expect(badArgs(() => one(i64, 2n ** 63n))).toBe(`x: ${2n ** 63n} out of range for int<64,signed>`);
    expect(badArgs(() => one(u64, -1))).toBe("x: -1 out of range for int<64,unsigned>");
    expect(badArgs(() => one(u64, 2n ** 64n))).toMatch(/out of range/);
    expect(badArgs(() => one({ kind: "bool" }, 1))).toBe("x: expected bool, got number 1");
    expect(badArgs(() => one({ kind: "array", elem: i32, length: 2 }, [1]))).toBe(
      "x: expected array<int<32,signed>,2>, got array of length 1",
    );
    expect(badArgs(() => one({ kind: "map", key: i32, value: i32 }, { 1: 2 }))).toBe(
      "x: expected map<int<32,signed>,int<32,signed>>, got object",
    );
    expect(badArgs(() => one({ kind: "map", key: i32, value: i32 }, new Map([["1", 2]])))).toBe(
      'x["1"]: map key: expected int<32,signed>, got string',
    );
    expect(
      badArgs(() =>
        one(
          { kind: "map", key: { kind: "int", bits: 64, signed: true }, value: i32 },
          new Map<JsValue, JsValue>([
            [1, 1],
            [1n, 2],
          ]),
        ),
      ),
    ).toBe("x: duplicate map key [1]");
  });
});

describe("result frames", () => {
  it("round-trips ok frames of 0, 1 and n results, and error frames", () => {
    const s0 = sig([], [], true);
    const s2 = sig([], [i32, { kind: "optional", inner: { kind: "string" } }]);
    expect(decodeResultFrame(s0, types, encodeResultFrame(s0, types, { status: 0, value: null }))).toEqual({
      status: 0,
      value: null,
    });
    expect(decodeResultFrame(s2, types, encodeResultFrame(s2, types, { status: 0, value: [1, null] }))).toEqual({
      status: 0,
      value: [1, null],
    });
    expect(decodeResultFrame(s2, types, encodeResultFrame(s2, types, { status: 3, message: "bad" }))).toEqual({
      status: 3,
      message: "bad",
    });
  });

  it("rejects malformed frames and argument bytes", () => {
    const s1 = sig([{ name: "s", type: { kind: "string" } }], [{ kind: "string" }]);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as FragmentCallError).code;
      }
      return "none";
    };
    expect(code(() => decodeResultFrame(s1, types, new Uint8Array([0, 9, 0, 0, 0, 1])))).toBe("DCM_FRAGMENT_PANIC");
    expect(code(() => decodeResultFrame(s1, types, new Uint8Array([7])))).toBe("DCM_FRAGMENT_PANIC");
    expect(code(() => decodeResultFrame(s1, types, new Uint8Array([0, 0, 0, 0, 0, 1])))).toBe("DCM_FRAGMENT_PANIC");
    expect(code(() => decodeArgs(s1, types, new Uint8Array([5, 0, 0, 0, 1])))).toBe("DCM_BAD_ARGUMENTS");
    expect(() => decodeValue({ kind: "list", elem: i32 }, types, new Uint8Array([255, 255, 255, 255]))).toThrow(
      DecodeError,
    );
    expect(() => decodeValue({ kind: "bool" }, types, new Uint8Array([2]))).toThrow(DecodeError);
  });
});
