// The TypeScript part of the polyglot example: small formatting helpers that
// plain JS runs fastest (the paper's Table 4).

/** Lower-case words joined by dashes; non-ASCII letters are kept. */
export function slugify(s: string): string {
  return s
    .normalize("NFC")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0)
    .join("-");
}

export interface LineItem {
  name: string;
  cents: bigint;
  quantity: number;
}

/** Total of a cart in cents. */
export function cartTotal(items: LineItem[]): bigint {
  let total = 0n;
  for (const it of items) total += it.cents * BigInt(it.quantity);
  return total;
}

// Integer widths the AssemblyScript way: dcm reads these alias names as
// int<32,unsigned> and int<64,unsigned>, the types of the other languages' `fib`.
type u32 = number;
type u64 = bigint;

/** The n-th Fibonacci number, wrapping at 2^64 like the other languages' versions. */
export function fib(n: u32): u64 {
  let a = 0n;
  let b = 1n;
  for (let i = 0; i < n; i++) [a, b] = [b, BigInt.asUintN(64, a + b)];
  return a;
}
