// Printing from a fragment: console.log and console.error.
import type { i32 } from "./widths.js";

/** Prints s on n lines to stdout, then "printed <n>" to stderr; returns the bytes written to stdout. */
export function printLines(s: string, n: i32): i32 {
  let total = 0;
  for (let i = 0; i < n; i++) {
    console.log(s);
    total += new TextEncoder().encode(s).length + 1;
  }
  console.error(`printed ${n}`);
  return total;
}
