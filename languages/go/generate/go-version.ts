/** Go version numbers: the minimum dcm needs and comparison. */

/** The oldest Go with `//go:wasmexport` and `-buildmode=c-shared` for wasip1. */
export const MIN_GO_VERSION = "1.24";

function parts(v: string): number[] {
  const m = /^(?:go)?(\d+(?:\.\d+)*)/.exec(v.trim());
  return (m ? m[1]! : "0").split(".").map((x) => Number.parseInt(x, 10) || 0);
}

/** Compares Go versions like `1.24`, `1.22.3`, `go1.26.8` (pre-release suffixes are ignored). */
export function compareGoVersions(a: string, b: string): number {
  const x = parts(a);
  const y = parts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function maxGoVersion(a: string, b: string): string {
  return compareGoVersions(a, b) >= 0 ? a : b;
}
