/**
 * Facts the TypeScript analysis hands to the same adapter's generator
 * (AnalyzedFragment.detail / AnalysisResult.detail). Opaque to core.
 */

/**
 * Where the glue must turn a null into `undefined` before the call, because
 * the TypeScript type says `x?: T` or `T | undefined` (without `null`).
 * 0 means "nothing to do below here" so most signatures carry only zeros.
 */
export type LiftSpec =
  | 0
  | { u?: 1; opt?: LiftSpec; list?: LiftSpec; map?: LiftSpec; rec?: string };

/** Per record name: the fields (jsonName) whose null becomes undefined (deleted), and nested specs. */
export interface RecordLift {
  /** jsonNames of `x?: T` / `x: T | undefined` fields: null -> the key is removed. */
  undef: string[];
  /** jsonName -> spec of the field's value when something below it needs lifting. */
  nested: Record<string, LiftSpec>;
}

/** What the generated entry module exports as `dcm_meta` and the glue reads at load. */
export interface TsModuleMeta {
  /** export name -> one spec per parameter (0 for identity). */
  params: Record<string, LiftSpec[]>;
  records: Record<string, RecordLift>;
}

export interface TsFragmentDetail {
  /** Repo-relative file that declares the fragment. */
  file: string;
  /** The name the fragment is exported under from its file (`default` for a default export). */
  importName: string;
  /** Lifting spec per parameter (see LiftSpec). */
  lift: LiftSpec[];
}

export interface TsAnalysisDetail {
  /** Record name -> the fields whose null must become undefined before a call. */
  recordLift: Record<string, RecordLift>;
  /** Fragment id -> files (repo-relative) it reaches through relative imports, for error attribution. */
  reach: Record<string, string[]>;
}

/** StateVar.detail of a TypeScript state variable: where it is and how `set` assigns it. */
export interface TsStateDetail {
  /** Repo-relative file that declares it. */
  file: string;
  name: string;
  /**
   * `assign`: a `let`/`var`, reassigned. A `const` keeps its object, so `set`
   * refills it in place: `array` (length 0, push), `map` (clear, set),
   * `bytes` (same length, `set`), `fields` (delete every key, assign).
   */
  mode: "assign" | "array" | "map" | "bytes" | "fields";
  /** Where `set` must turn a null into undefined (the annotation's `T | undefined` / `x?:`); absent = 0. The mapper's own object (finish() rewrites record keys in it). */
  lift?: LiftSpec;
}
