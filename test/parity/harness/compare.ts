/**
 * How two results compare: values structurally (canonicalEqual, float32-aware
 * for float32 results), failures by code only (messages differ by nature:
 * Go's "runtime error: index out of range [3] with length 3" vs Rust's
 * "index out of bounds: the len is 3 but the index is 3").
 */
import { canonicalEqual } from "../../e2e/harness/go-native-harness.js";
import { isFloat32 } from "./cases.js";

export function errorCode(line: string): string | undefined {
  if (!line.startsWith('{"error"')) return undefined;
  try {
    return (JSON.parse(line) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

export function sameOutcome(id: string, got: string, want: string): boolean {
  const wantCode = errorCode(want);
  if (wantCode !== undefined) return errorCode(got) === wantCode;
  if (errorCode(got) !== undefined) return false;
  try {
    return canonicalEqual(got, want, { float32: isFloat32(id) });
  } catch {
    return false; // not JSON at all
  }
}
