/**
 * What a language brings to the parity suite (types only). Every registered
 * language has, by convention, in its own folder:
 *  - `languages/<id>/fixtures/parity/`: the parity functions in that language,
 *    with a `dcm.yaml` that uses the suite's fragment ids (cases.json);
 *  - `languages/<id>/fixtures/parity-native.ts`: default-exports a
 *    ParityLanguage, whose `native` runs those functions with the language's
 *    own toolchain, without dcm (the reference every placement is compared
 *    with).
 * The suite finds both through the registry (harness/languages.ts), so a
 * language joins it without an edit under test/.
 */
import type { FragmentSig } from "./signatures.js";

/** Per fragment id, the canonical JSON text of every case's result, in case order (or {"error":{...}}). */
export type Results = Record<string, string[]>;

/** Cases a language cannot take, with why (rare). */
export interface Override {
  reason: string;
  /** Indices of cases.json cases this language leaves out. */
  drop?: number[];
}

export interface ParityNativeContext {
  /** The language id. */
  id: string;
  /** Absolute path of `languages/<id>/fixtures/parity/`. */
  repo: string;
  /** Per fragment id, the raw JSON text of each case's argument array (this language's drops taken out). */
  cases: Record<string, string[]>;
  /** Fragment id -> the symbol the language's dcm.yaml names (`AddI64`, `Rect.area`). */
  names: Record<string, string>;
  /** The value-model signature of a fragment in this language (signatures.ts plus this language's overrides). */
  signature(fragmentId: string): FragmentSig;
}

export interface ParityLanguage {
  /**
   * Runs every case with the language's own toolchain, not through dcm, and
   * returns its results as canonical JSON (docs/values-json.md). Failures are
   * `{"error":{"code":"DCM_FRAGMENT_ERROR"|"DCM_FRAGMENT_PANIC",...}}` as the
   * language's adapter classifies them (test/parity/README.md, "How it checks").
   */
  native(ctx: ParityNativeContext): Promise<Results>;
  /** Per fragment id, cases the language leaves out (shown in the README too). */
  overrides?: Record<string, Override>;
  /**
   * Fragment ids the language's parity repository does not have, each with
   * why (a construct its adapter cannot build yet): a language can join the
   * suite before it covers the whole value model. Its dcm.yaml must then
   * lack exactly these ids; everything else is checked as for any language.
   */
  unsupported?: Record<string, string>;
  /** Per fragment id, where the language's signature differs by nature (AssemblyScript: no tuples). */
  signatures?: Record<string, Partial<FragmentSig>>;
  /** Records those signatures name that signatures.ts does not (fields in order: [json name, type]). */
  records?: Record<string, Array<[string, string]>>;
  /** A native result as the other languages would write it (documented differences), for the agreement test. */
  normalise?(fragmentId: string, line: string): string;
}
