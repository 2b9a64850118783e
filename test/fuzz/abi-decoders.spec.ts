/**
 * Fuzzing the ABI decoders (runtime/abi/codec.ts, codec-decode.ts,
 * wire-io.ts): bytes a module or a peer sends are untrusted. Random,
 * truncated and structured garbage (huge counts and lengths, tags, deep
 * nesting) over random types must decode or fail with the typed error of the
 * entry point (DecodeError; FragmentCallError DCM_BAD_ARGUMENTS /
 * DCM_FRAGMENT_PANIC) — never a RangeError, a hang or a huge allocation.
 * Valid encodings of random values still round-trip after the fixes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FragmentCallError } from "../../runtime/abi/call-error.js";
import { decodeArgs, decodeResultFrame, decodeValue, encodeValue } from "../../runtime/abi/codec.js";
import { parseJsonArgs } from "../../runtime/abi/json-values.js";
import { DecodeError } from "../../runtime/abi/value-errors.js";
import type { Signature, VType } from "../../runtime/abi/value-types.js";
import { TYPES, vtype } from "./arbitraries.js";
import { fuzz } from "./fuzz-config.js";

/** Bytes that look like encodings: counts and lengths near the limits, tags, small numbers. */
const structured = fc
  .array(
    fc.oneof(
      fc.constantFrom(0, 1, 2, 0x7f, 0x80, 0xff).map((b) => [b]),
      fc
        .constantFrom(0, 1, 3, 255, 65_535, 0x00ff_ffff, 0x7fff_ffff, 0xffff_ffff)
        .map((n) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24]),
      fc.uint8Array({ maxLength: 12 }).map((a) => [...a]),
    ),
    { maxLength: 40 },
  )
  .map((chunks) => new Uint8Array(chunks.flat()));

const garbage = fc.oneof(structured, fc.uint8Array({ maxLength: 200 }));

/** Runs `f` and says how it ended; anything but a value or one of `allowed` fails the property with the error. */
function endsTyped(f: () => unknown, allowed: (e: unknown) => boolean): true {
  try {
    f();
  } catch (e) {
    if (!allowed(e)) throw new Error(`untyped error ${(e as Error)?.name}: ${(e as Error)?.message}`.slice(0, 300));
  }
  return true;
}

const codeIs = (code: string) => (e: unknown) => e instanceof FragmentCallError && e.code === code;

describe("ABI decoders on untrusted bytes", () => {
  it("decodeValue: any type, any bytes -> a value or DecodeError", () => {
    fc.assert(
      fc.property(vtype, garbage, (t, bytes) =>
        endsTyped(
          () => decodeValue(t, TYPES, bytes),
          (e) => e instanceof DecodeError,
        ),
      ),
      fuzz(2000),
    );
  });

  it("decodeArgs: garbage arguments -> DCM_BAD_ARGUMENTS", () => {
    const sig = fc.record({
      params: fc.array(fc.record({ name: fc.constantFrom("a", "b", "c"), type: vtype }), { maxLength: 3 }),
      results: fc.constant([]),
      error: fc.constant(false),
    }) as fc.Arbitrary<Signature>;
    fc.assert(
      fc.property(sig, garbage, (s, bytes) =>
        endsTyped(() => decodeArgs(s, TYPES, bytes, "f"), codeIs("DCM_BAD_ARGUMENTS")),
      ),
      fuzz(1500),
    );
  });

  it("decodeResultFrame: garbage frames from a module -> DCM_FRAGMENT_PANIC", () => {
    const sig = fc.record({
      params: fc.constant([]),
      results: fc.array(vtype, { maxLength: 2 }),
      error: fc.boolean(),
    }) as fc.Arbitrary<Signature>;
    fc.assert(
      fc.property(sig, garbage, (s, bytes) =>
        endsTyped(() => decodeResultFrame(s, TYPES, bytes, "f"), codeIs("DCM_FRAGMENT_PANIC")),
      ),
      fuzz(1500),
    );
  });

  it("truncating a valid encoding anywhere -> DecodeError", () => {
    const node = (depth: number): unknown => (depth === 0 ? null : { v: depth, next: node(depth - 1) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.nat(), (depth, cutAt) => {
        const t: VType = { kind: "record", name: "Node" };
        const bytes = encodeValue(t, TYPES, node(depth) as never);
        expect(decodeValue(t, TYPES, bytes)).toEqual(node(depth));
        const cut = cutAt % bytes.length;
        expect(() => decodeValue(t, TYPES, bytes.subarray(0, cut))).toThrow(DecodeError);
        return true;
      }),
      fuzz(300),
    );
  });
});

describe("JSON arguments (`dcm invoke --args`, runtime/abi/json-parse.ts + json-values.ts)", () => {
  const sig = fc.record({
    params: fc.array(fc.record({ name: fc.constantFrom("a", "b"), type: vtype }), { maxLength: 3 }),
    results: fc.constant([]),
    error: fc.constant(false),
  }) as fc.Arbitrary<Signature>;
  /** JSON-ish text: real JSON of random values, cut or spliced, and plain strings. */
  const text = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify([v])),
    fc.tuple(fc.jsonValue({ maxDepth: 4 }), fc.nat()).map(([v, n]) => JSON.stringify([v]).slice(0, n)),
    fc.string({ maxLength: 200 }),
    fc.constantFrom(
      "[1e999999]",
      "[-0]",
      `[${"9".repeat(400)}]`,
      '["\\ud800"]',
      "[".repeat(100_000),
      `${"[".repeat(600)}${"]".repeat(600)}`,
      '{"$i":"1"}',
      '[{"$b":"%%%"}]',
    ),
  );
  it("parseJsonArgs: any text -> values or DCM_BAD_ARGUMENTS", () => {
    fc.assert(
      fc.property(sig, text, (s, t) => endsTyped(() => parseJsonArgs(t, s, TYPES, "f"), codeIs("DCM_BAD_ARGUMENTS"))),
      fuzz(2000),
    );
  });
});

describe("regressions found by fuzzing", () => {
  it("a list of 2^32-1 zero-size records is refused, not allocated (it ran out of memory after 100 s)", () => {
    const t: VType = { kind: "list", elem: { kind: "record", name: "Empty" } };
    expect(() => decodeValue(t, TYPES, new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toThrow(/list count 4294967295/);
    // Small honest lists of them still decode.
    expect(decodeValue(t, TYPES, new Uint8Array([3, 0, 0, 0]))).toEqual([{}, {}, {}]);
  });

  it("records nested 200,000 deep are a typed error, not a stack overflow (RangeError)", () => {
    const deep = new Uint8Array(200_000 * 5 + 5);
    for (let i = 0; i < 200_000; i++) deep[i * 5 + 4] = 1; // v = 0, next present
    const t: VType = { kind: "record", name: "Node" };
    expect(() => decodeValue(t, TYPES, deep)).toThrow(DecodeError);
    expect(() => decodeValue(t, TYPES, deep)).toThrow(/nested deeper than/);
    const frame = new Uint8Array(deep.length + 1);
    frame.set(deep, 1);
    const sig: Signature = { params: [], results: [t], error: false };
    expect(() => decodeResultFrame(sig, TYPES, frame, "f")).toThrow(
      expect.objectContaining({ code: "DCM_FRAGMENT_PANIC" }),
    );
  });
});
