/**
 * dist/manifest.json (types only). Written by `dcm build`, read by the
 * runtimes and the CLI. Bump MANIFEST_VERSION in src/build when this changes
 * incompatibly.
 */
import type { CallAbi, Signature, TypeTable } from "./value-types.js";

export type Side = "client" | "server";
export type ModuleTarget = "wasm" | "native" | "js";
export type FragmentKind = "function" | "method" | "variable" | "const" | "type";

export interface ManifestFragment {
  id: string;
  language: string;
  kind: FragmentKind;
  /** Symbol in the source, `Type.Method` for methods. */
  symbol: string;
  /** Repository-relative source file and 1-based line of the declaration. */
  source: { file: string; line: number };
  /**
   * Initial location from the CFD. Absent for a fragment the CFD gives no
   * `runOn` (a dependency: compiled in for other fragments, not an entry point).
   */
  runOn?: Side;
  /**
   * Why a function or method fragment cannot be called, e.g. "fragment 5
   * (`getNumberTwo`) has no `runOn`: it is a dependency, …" or its signature
   * cannot cross the boundary (a `func` result, an interface parameter…).
   * Every host answers a call to it with DCM_NOT_CALLABLE and this message.
   * Such a fragment has no `signature`, `abi` or `export`, so readers that
   * predate this field refuse it too.
   */
  notCallable?: string;
  /** Present for callable fragments (functions and methods that can be called). */
  signature?: Signature;
  abi?: CallAbi;
  /** Export name in every module of this fragment's language. */
  export?: string;
  flags: { idempotent: boolean; stateful: boolean };
  deps: { fragments: string[]; libs: string[]; globalVars: string[]; typeDefs: string[] };
}

export interface ManifestModule {
  language: string;
  /**
   * `wasm` (a docs/abi.md WebAssembly module) and `js` (an ES module run by its
   * language's glue) are portable: they run on either side. `native` is a
   * server plugin.
   */
  target: ModuleTarget;
  /** Which side(s) the module is meant for. A wasm module may also run on the server. */
  sides: Side[];
  /** Path relative to the dist folder. */
  file: string;
  sha256: string;
  size: number;
  abiVersion: number;
  /** What built this module (the adapter's CompileResult.toolchain), e.g. `go1.26.8 wasip1/wasm` or `rustc 1.95.0 wasm32-unknown-unknown, wasm-bindgen 0.2.130`. */
  toolchain: string;
  /** Fragment ids held by this module. */
  fragments: string[];
  /**
   * Portable modules other than `wasm` (which the runtime's own docs/abi.md
   * loader runs) carry their language's glue: a self-contained ES module whose
   * default export is a ModuleLoader (runtime/abi/module-types.ts), bundled by
   * `dcm build` so that browsers load it from the dist like the module itself.
   */
  glue?: { file: string; sha256: string };
}

/** A state accessor of a group part: called like a fragment export of the part's language's modules (docs/abi.md "State"). */
export interface StateAccessor {
  /** Unique among fragment and accessor ids: `$state.<group>.get` / `$state.<group>.set`. Never callable by clients. */
  id: string;
  export: string;
  signature: Signature;
  abi: CallAbi;
}

/** What one language's module holds of a group's state. */
export interface ManifestStatePart {
  language: string;
  /** Name in `types` of the record holding the state (one field per var, in `vars` order). */
  record: string;
  /** No parameter, returns the record. */
  get: StateAccessor;
  /** Takes the record, returns nothing. */
  set: StateAccessor;
  vars: Array<{ name: string; unit: string; field: string; source: { file: string; line: number } }>;
}

/**
 * Fragments that move together (issue 12, docs/state.md): they share
 * module-level state (inferred by the analysis) or the CFD's `group:` names
 * them together. A fragment in no group is stateless and moves alone.
 */
export interface ManifestGroup {
  /** The CFD's group name, else `group-<smallest fragment id of the group>`. */
  id: string;
  /** Entry-point fragment ids (every fragment with runOn that belongs), sorted. */
  fragments: string[];
  /** Why: "state" (shared state found by the analysis), "cfd" (the CFD's `group:`), or both. */
  reasons: Array<"state" | "cfd">;
  /** Empty for a group without state (moves together, nothing to transfer). */
  state: ManifestStatePart[];
  /** sha256 (hex) over every part's language, var names and their types (records expanded): equal across two builds = state carries over a redeploy. */
  stateVersion: string;
}

export interface Manifest {
  manifestVersion: number;
  /** sha256 over all inputs of the build (sources, CFD, toolchain versions, generator version). */
  buildKey: string;
  createdBy: string;
  fragments: ManifestFragment[];
  modules: ManifestModule[];
  types: TypeTable;
  /** State groups (absent or empty: every fragment is stateless and moves alone). */
  groups?: ManifestGroup[];
}
