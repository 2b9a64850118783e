/**
 * Rust-specific analysis facts (types only): what languages/rust/analysis
 * hands to languages/rust/generate through AnalyzedFragment.detail and
 * AnalysisResult.detail.
 */

export type RustPrim =
  | "bool"
  | "i8" | "i16" | "i32" | "i64"
  | "u8" | "u16" | "u32" | "u64"
  | "f32" | "f64"
  | "String"
  /** `str` behind a reference (`&str`). */
  | "str";

export type RustType =
  | { k: "prim"; name: RustPrim }
  | { k: "vec"; elem: RustType }
  /** `[T]` behind a reference (`&[T]`). */
  | { k: "slice"; elem: RustType }
  | { k: "array"; elem: RustType; len: number }
  | { k: "option"; inner: RustType }
  | { k: "box"; inner: RustType }
  | { k: "map"; which: "HashMap" | "BTreeMap"; key: RustType; value: RustType }
  /** `&T` / `&mut T` (parameters and results only). */
  | { k: "ref"; mut: boolean; inner: RustType }
  /** A struct (record) or a data-less enum (string) of the crate, by key `crate::mod::Name`. */
  | { k: "named"; key: string; text: string };

export interface RustNamedType {
  /** `crate::a::b::Name`. */
  key: string;
  name: string;
  /** Module path below the crate root (`["a", "b"]`). */
  modPath: string[];
  /** Repo-relative file and 1-based line of the declaration. */
  file: string;
  line: number;
  kind: "struct" | "enum";
  /** Struct fields in declaration order; jsonName from `#[serde(rename = "...")]`. */
  fields?: Array<{ name: string; jsonName: string; type: RustType }>;
  /** Enum variants: the Rust name and the string that crosses the boundary. */
  variants?: Array<{ name: string; wire: string }>;
  /** Unit struct (`struct U;`). */
  unit?: boolean;
  /** Key of the manifest TypeTable record (structs only). */
  recordName?: string;
}

export interface RustParam {
  name: string;
  type: RustType;
}

export interface RustFragmentDetail {
  /** Repo-relative file holding the fragment (its wrapper is appended there). */
  file: string;
  modPath: string[];
  funcName: string;
  /** For methods and associated functions: the `impl` type as written, and how `self` is taken. */
  impl?: { typeText: string; typeKey: string; self: "ref" | "mut" | "value" | "none" };
  params: RustParam[];
  /** Without the error side of a `Result`; a tuple return is several results. */
  results: RustType[];
  /** The declared return is a tuple (possibly inside Result), even of one element. */
  tupleResult: boolean;
  hasError: boolean;
}

export interface RustCrateInfo {
  /** Repo-relative folder holding Cargo.toml ("" for the repository root). */
  dir: string;
  /** `[package] name`. */
  name: string;
  version: string;
  edition: string;
  /** Repo-relative crate root file (lib.rs, or main.rs treated as a library root). */
  root: string;
  /** Dependency names of `[dependencies]` (as written, before renames). */
  deps: string[];
}

export interface RustAnalysisDetail {
  crate: RustCrateInfo;
  named: Record<string, RustNamedType>;
}

/**
 * How the generated state accessors reach a state var (StateVar.detail,
 * handed back in StateAccessorRequest.vars): languages/rust/analysis/state-statics.ts
 * finds it, languages/rust/generate/state-accessors.ts reads and assigns it.
 */
export interface RustStateDetail {
  /**
   * `static-mut`: `static mut X: T`; `mutex` / `rwlock`: std::sync's, value inside;
   * `atomic`: `AtomicI64`…, value `load`ed / `store`d; `cell` / `refcell`: in `thread_local!`.
   */
  access: "static-mut" | "mutex" | "rwlock" | "atomic" | "cell" | "refcell";
  /** Declared inside `thread_local!` (reached with `X.with(…)`). */
  threadLocal: boolean;
  /** Behind `LazyLock` / `once_cell::sync::Lazy` (reached through Deref, like the inner value). */
  lazy: boolean;
  /** Repo-relative file declaring it: the accessors' helpers are appended there. */
  file: string;
  /** Module path below the crate root. */
  modPath: string[];
  name: string;
  /** The snapshotted Rust type as written in that file (the `T` of `Mutex<T>`; `i64` for `AtomicI64`). */
  typeText: string;
  /** Keys of the crate's structs and enums the value holds (they need the wire impls). */
  typeKeys: string[];
}
