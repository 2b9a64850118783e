// The AssemblyScript part of the polyglot example: number crunching.

/** Whether n is prime, by trial division. */
export function isPrime(n: u32): bool {
  if (n < 2) return false;
  for (let d: u32 = 2; d * d <= n; d++) if (n % d == 0) return false;
  return true;
}

/** The n-th prime (1-based): the paper's Scenario III workload. */
export function nthPrime(n: i32): i32 {
  let count = 0;
  let candidate = 1;
  while (count < n) {
    candidate++;
    if (isPrime(<u32>candidate)) count++;
  }
  return candidate;
}

/** The mean of a list; NaN for an empty one. */
export function mean(xs: f64[]): f64 {
  let sum: f64 = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i];
  return sum / <f64>xs.length;
}

/** The n-th Fibonacci number, wrapping at 2^64. */
export function fib(n: u32): u64 {
  let a: u64 = 0;
  let b: u64 = 1;
  for (let i: u32 = 0; i < n; i++) {
    const t = a + b;
    a = b;
    b = t;
  }
  return a;
}
