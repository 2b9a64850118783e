/**
 * Argument frames that no language's decoder may accept (docs/abi.md,
 * "Malformed input"): each is the raw buffer-ABI input of one parity fragment
 * (test/parity/cases.json ids, the same in every language) and must come back
 * as a status 3 frame, DCM_BAD_ARGUMENTS, from every client module and native
 * plugin. test/parity/malformed-input.spec.ts feeds them to the built modules;
 * the conformance-vector generator copies them into vectors.json (`malformed`)
 * for the hosts' own suites.
 *
 * Limitations: no buffer-ABI parity fragment takes a `bool` (bool-logic is
 * scalar) or a list of a zero-size record, so those rules have no entry here
 * (and none in vectors.json); malformed-input.spec.ts checks them on each
 * language's languages/<id>/fixtures/decoder-edges/ instead.
 */

export interface MalformedInput {
  /** The fragment id (manifest `fragments[].id`, test/parity/cases.json). */
  fragment: string;
  /** The argument bytes, lowercase hex without spaces. */
  hex: string;
  /** The error code every module must answer with. */
  expect: "DCM_BAD_ARGUMENTS";
  /** What is wrong with the bytes. */
  why: string;
}

const u32 = (n: number) => Buffer.from(Uint32Array.of(n).buffer).toString("hex");
/** A `string`/`bytes` value: u32 length, then the bytes given in hex. */
const str = (hex: string) => u32(hex.length / 2) + hex;
const ascii = (s: string) => str(Buffer.from(s, "utf8").toString("hex"));
const i32 = (n: number) => Buffer.from(Int32Array.of(n).buffer).toString("hex");

const bad = (fragment: string, hex: string, why: string): MalformedInput => ({
  fragment,
  hex,
  expect: "DCM_BAD_ARGUMENTS",
  why,
});

export const MALFORMED_INPUTS: readonly MalformedInput[] = [
  bad("concat", str("ff") + ascii("b"), "a string that is not valid UTF-8 (a lone 0xff byte)"),
  bad("utf8-len", str("61c3"), "a string that ends inside a UTF-8 sequence"),
  bad("utf8-len", str("c0af"), "a string with an overlong UTF-8 form (0xc0 0xaf for '/')"),
  bad("utf8-len", str("eda080"), "a string holding a UTF-16 surrogate (U+D800) encoded as UTF-8"),
  bad("utf8-len", str("f4908080"), "a string holding a code point past U+10FFFF"),
  bad("map-count", u32(2) + ascii("ok") + str("80"), "a string inside a list that is not valid UTF-8"),
  bad("optional-or", `02${i32(1)}${i32(2)}${i32(3)}${i32(4)}`, "an optional's tag of 2 (neither 0 nor 1)"),
  bad(
    "record-fields",
    ascii("Ada") + "24" + u32(0) + `ff${i32(1)}${i32(2)}`,
    "an optional's tag of 255 inside the arguments",
  ),
  bad("concat", "", "no bytes at all for two string arguments"),
  bad("concat", ascii("a"), "input that ends before the second argument"),
  bad("record-make", i32(1) + "0200", "an int32 argument cut short"),
  bad("utf8-len", u32(5) + "616263", "a string length past the end of the input"),
  bad("bytes-xor", u32(16) + "aa07", "a bytes length past the end of the input"),
  bad("sum-list", u32(0xffff_ffff) + "0100000000000000", "a list count past the end of the input"),
  bad("map-invert", u32(2) + ascii("a") + i32(1), "a map count past the end of the input"),
  bad("utf8-len", `${ascii("abc")}00`, "a byte left over after the last argument"),
  bad("record-make", i32(1) + i32(2) + i32(3), "four bytes left over after the last argument"),
];
