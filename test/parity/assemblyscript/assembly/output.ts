// Printing from a fragment: console.log and console.error.

/** Prints s on n lines to stdout, then "printed <n>" to stderr; returns the bytes written to stdout. */
export function printLines(s: string, n: i32): i32 {
  let total: i32 = 0;
  for (let i = 0; i < n; i++) {
    console.log(s);
    total += String.UTF8.byteLength(s) + 1;
  }
  console.error("printed " + n.toString());
  return total;
}
