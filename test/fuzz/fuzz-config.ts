/**
 * Shared settings of the fuzz properties (fast-check): a fixed seed, so that
 * CI runs are reproducible and a failure prints the seed and the shrunk
 * counterexample; modest run counts and a time box per property so that the
 * suite stays fast. `DCM_FUZZ_SEED=<n>` and `DCM_FUZZ_RUNS=<n>` explore
 * further locally (e.g. `DCM_FUZZ_RUNS=20000 npx vitest run test/fuzz`).
 */
import type { Parameters } from "fast-check";

export const FUZZ_SEED = Number(process.env.DCM_FUZZ_SEED ?? 2026_12_04);
const RUNS = process.env.DCM_FUZZ_RUNS ? Number(process.env.DCM_FUZZ_RUNS) : undefined;

/** fast-check parameters: `numRuns` runs (or DCM_FUZZ_RUNS), at most `seconds` of runs. */
export function fuzz(numRuns: number, seconds = 3): Parameters<unknown> {
  return {
    seed: FUZZ_SEED,
    numRuns: RUNS ?? numRuns,
    // The time box: a slow machine runs fewer cases instead of slowing CI (an over-long single case is a failure of its own test timeout).
    interruptAfterTimeLimit: RUNS ? undefined : seconds * 1000,
    markInterruptAsFailure: false,
    verbose: 1,
  };
}
