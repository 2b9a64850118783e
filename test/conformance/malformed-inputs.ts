/**
 * Argument bytes every language's decoder must refuse with DCM_BAD_ARGUMENTS
 * (docs/abi.md, "Malformed input"), fed raw to a fragment's buffer-ABI export.
 * The conformance vectors (write-vectors.ts) carry them to every host's tests.
 */
export interface MalformedInput {
  /** A parity fragment id (test/parity/cases.json). */
  fragment: string;
  /** The argument buffer, hex. */
  hex: string;
  expect: "DCM_BAD_ARGUMENTS";
  why: string;
}

const u32 = (n: number) => Buffer.from(new Uint32Array([n]).buffer).toString("hex");
const i32 = u32;

export const MALFORMED_INPUTS: MalformedInput[] = [
  {
    fragment: "concat",
    hex: `${u32(1)}ff${u32(0)}`,
    expect: "DCM_BAD_ARGUMENTS",
    why: "a string that is not valid UTF-8 (the byte 0xff)",
  },
  {
    fragment: "optional-or",
    hex: `02${i32(1)}${i32(2)}${i32(3)}${i32(4)}`,
    expect: "DCM_BAD_ARGUMENTS",
    why: "an optional's tag other than 0 or 1 (2)",
  },
];
