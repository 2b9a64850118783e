/**
 * AssemblyScript-specific analysis facts (types only): what
 * languages/assemblyscript/analysis hands to languages/assemblyscript/generate
 * through AnalyzedFragment.detail and AnalysisResult.detail.
 */

/** Primitive AssemblyScript types after normalisation (`number` = f64, `isize` = i32, `usize` = u32). */
export type AsPrim = "bool" | "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "f32" | "f64";

/** Typed arrays; `Uint8Array` is `bytes`, the others are lists of their element type. */
export type AsTypedArray =
  | "Uint8Array"
  | "Int8Array"
  | "Uint8ClampedArray"
  | "Int16Array"
  | "Uint16Array"
  | "Int32Array"
  | "Uint32Array"
  | "Int64Array"
  | "Uint64Array"
  | "Float32Array"
  | "Float64Array";

export type AsType =
  | { k: "prim"; name: AsPrim }
  | { k: "string" }
  /** `Array<T>` / `T[]` (`Array`) or `StaticArray<T>`: both are `list<T>`. */
  | { k: "array"; of: "Array" | "StaticArray"; elem: AsType }
  | { k: "typed"; name: AsTypedArray }
  /** `Map<K, V>` with a string or integer key. */
  | { k: "map"; key: AsType; value: AsType }
  /** A class used as a record, resolved through AsAnalysisDetail.classes. */
  | { k: "class"; key: string }
  /** `T | null`. */
  | { k: "nullable"; inner: AsType }
  /** `Set<T>`, as `list<T>` in insertion order: module state only (TypeMapper.allowSets). */
  | { k: "set"; elem: AsType };

export interface AsField {
  name: string;
  type: AsType;
}

export interface AsClass {
  /** Source name; also the manifest record name. */
  name: string;
  /** Repo-relative file declaring it. */
  file: string;
  line: number;
  fields: AsField[];
}

export interface AsFragmentDetail {
  /** Repo-relative file declaring the function. */
  file: string;
  /** Function name, or method name for `Class.method`. */
  funcName: string;
  /** For methods: the class key (AsAnalysisDetail.classes); the receiver is the first parameter. */
  receiver?: string;
  /** True for `static` methods (called as `Class.method(...)`, no receiver). */
  isStatic?: boolean;
  params: Array<{ name: string; type: AsType }>;
  /** Null for `void`. */
  result: AsType | null;
}

export interface AsAnalysisDetail {
  /** Classes reachable from a signature, keyed by `file#Name`. */
  classes: Record<string, AsClass>;
  /** Repo-relative files the compiler needs: the fragments' files and their relative imports, transitively. */
  sourceFiles: string[];
}

/**
 * StateVar.detail of an AssemblyScript module variable: how the generated
 * accessors (generate/state-accessors.ts) read and refill it.
 */
export interface AsStateDetail {
  /** Repo-relative file declaring it (the accessors are appended to its copy). */
  file: string;
  name: string;
  /** Its type as written in its own file (the accessors' parameter and result type). */
  typeText: string;
  type: AsType;
  /**
   * How `set` puts the value back: "assign" (a `let`/`var`, replaced as a
   * whole); a `const` keeps its object and gets its contents replaced:
   * "array" (emptied, then pushed), "map"/"set" (cleared, then filled),
   * "fixed" (a typed or static array: element by element, same length
   * required), "fields" (a class instance: every field assigned).
   */
  mode: "assign" | "array" | "map" | "set" | "fixed" | "fields";
}
