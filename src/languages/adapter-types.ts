/**
 * The language-adapter contract (types only). A language is a folder
 * `languages/<id>/` whose `language.ts` default-exports a LanguageDescriptor
 * (what the registry knows without loading the language: id, extensions,
 * targets, glue paths) and whose `adapter.ts` default-exports the
 * LanguageAdapter (analysis, generation, toolchains), loaded on first use
 * through the descriptor's `load()`; plus one line in
 * src/languages/registry.ts. Core code reaches languages only through these
 * interfaces and never branches on a language id.
 */
import type { FragmentKind, ManifestModule, Side } from "../../runtime/abi/manifest-types.js";
import type { CallAbi, Signature, TypeTable, VType } from "../../runtime/abi/value-types.js";
import type { CfdFragment } from "../cfd/cfd-types.js";
import type { Diagnostic, SourcePos } from "../../runtime/diagnostics/diagnostic-types.js";
import type { ToolchainDriver } from "../../toolchains/toolchain-types.js";

/** A CFD fragment handed to an adapter. */
export type AnalyzeFragment = CfdFragment & {
  /** Repo-relative, resolved from location.filepath. */
  file: string;
  /**
   * The `name`s of the fragments this one's `dependsOn` lists. The paper names
   * a method by its bare name and ties it to its receiver's type fragment
   * through `dependsOn` (`name: Area`, `dependsOn: [33]`, 33 = `Circle`):
   * when a bare name matches several methods of the file, the adapter keeps
   * those whose receiver type is one of these (src/languages/kit/receiver-hints.ts).
   */
  receiverHints?: string[];
};

export interface AnalyzeRequest {
  /** Absolute path of the repository root. */
  repo: string;
  /** The CFD fragments this adapter owns (already matched to files of its extensions). */
  fragments: AnalyzeFragment[];
  /** Parse cache shared across calls (content hash -> parsed data); adapters may ignore it. */
  cache?: ParseCache;
}

/**
 * AnalyzeRequest.cache: parsed data by a key that names everything it depends
 * on (the adapter's format version and the file's content hash). A Map
 * satisfies it; core's is kept in memory for the process and, for the values
 * set with `persist`, on disk across runs (src/build/parse-cache-store.ts).
 */
export interface ParseCache {
  get(key: string): unknown;
  /**
   * `persist`: the value may be written to dcm's cache folder and handed to a
   * later run. Only for plain JSON data (no Map, Set, bigint, undefined in
   * arrays, class instance or tree-sitter tree) that is complete when
   * analyze() returns (it is written then, with what was filled in lazily).
   * Bump the key's version whenever the value's shape or meaning changes.
   */
  set(key: string, value: unknown, opts?: { persist?: boolean }): void;
}

export interface AnalyzedFragment {
  id: string;
  language: string;
  kind: FragmentKind;
  /** `Func` or `Type.Method`. */
  symbol: string;
  /** Repo-relative file and 1-based lines of the declaration. */
  file: string;
  line: number;
  endLine: number;
  /** Language-specific unit that holds the symbol (Go: import path of the package). */
  unit: string;
  /** For function and method fragments. */
  signature?: Signature;
  abi?: CallAbi;
  /** Inferred from the code (not copied from the CFD). */
  deps: { fragments: string[]; libs: string[]; globalVars: string[]; typeDefs: string[] };
  /** Import path -> alias, for the libs of deps.libs that the fragment's file imports under an alias (`import mathematics "math"`). */
  libAliases?: Record<string, string>;
  /**
   * Why this function or method cannot be called across the client/server
   * boundary: each construct of its signature that cannot cross (a `func`
   * result, an interface parameter, a channel, a receiver type with an `error`
   * field, a generic function…), at its place in the source. Adapters report
   * these here, never as diagnostics, and then omit `signature` and `abi`.
   * Core decides what follows: a DCM_FRAGMENT_NOT_CALLABLE warning when the
   * CFD gives the fragment `runOn` (nothing for a dependency), the fragment is
   * left out of generate() and marked not callable in the manifest. Problems
   * that are not about crossing (a type that cannot be found, a syntax error)
   * stay error diagnostics. src/languages/kit/crossing.ts sorts them.
   */
  cannotCross?: CrossingProblem[];
  /**
   * Keys (StateVar.key) of the module-level state this fragment reads or
   * writes, directly or through the functions it calls (its whole closure,
   * fragments it calls included). Empty or absent: the fragment keeps no
   * state. Core groups fragments that share a key (issue 12, docs/state.md).
   */
  state?: string[];
  /** Language-specific facts the same adapter's generate() needs (Go: languages/go/go-types.ts). Opaque to core. */
  detail?: unknown;
}

/**
 * A module-level variable that fragments keep state in: a Go package `var`,
 * a Rust `static mut` / `static` with interior mutability (Mutex, RwLock,
 * atomics, thread_local! Cell/RefCell…), an AssemblyScript or TypeScript
 * module `let`/`var` (or a `const` whose object, array, Map or Set is
 * mutated). Only variables that code reachable from a fragment may change
 * count: a variable that is only read is the same on both sides (it is
 * initialised by the same code) and is not state.
 */
export interface StateVar {
  /** Unique within the language's analysis, stable across builds of the same source: `<unit>.<name>` (Go: `example.com/app/cart.items`). */
  key: string;
  /** The variable's name in the source. */
  name: string;
  /** Language-specific unit that holds it (Go: import path; Rust: module path; AS/TS: repo-relative file). */
  unit: string;
  /** Where it is declared (repo-relative file, 1-based line and column). */
  pos: SourcePos;
  /**
   * The value-model type of what is snapshotted (for `static X: Mutex<Vec<u8>>`,
   * the `list<u8>` inside). Records it uses are in AnalysisResult.types.
   * Absent exactly when `cannotEncode` is set.
   */
  type?: VType;
  /**
   * Why the value cannot be snapshotted (a pointer into foreign memory, a
   * channel, an open file, a function value…). Core refuses the build
   * (DCM_STATE_NOT_ENCODABLE) unless every fragment that touches it has
   * `stateful: false` in the CFD.
   */
  cannotEncode?: CrossingProblem;
  /** Language-specific (e.g. Rust: how to reach the value: `static mut`, Mutex, atomic). Handed back in StateAccessorRequest. Opaque to core. */
  detail?: unknown;
}

/**
 * The accessors of one state group's part in one language (GenerateRequest.stateGroups):
 * two extra exports of the module, called by the hosts exactly like fragment
 * exports (same ABI, docs/abi.md "State"):
 *   get: no parameters, one result: the record `record` holding every var's current value;
 *   set: one parameter of that record, no result: assigns every var.
 * Both are `buffer` ABI. A var holding a record or collection is replaced as
 * a whole by set (not merged). Generators emit them in every module of the
 * language (client and server, every target).
 */
export interface StateAccessorRequest {
  /** The group's id (ManifestGroup.id). */
  group: string;
  get: { id: string; export: string; signature: Signature; abi: CallAbi };
  set: { id: string; export: string; signature: Signature; abi: CallAbi };
  /** Record name in GenerateRequest.analysis.types (core adds it): one field per var, in `vars` order; field.name = field.jsonName, unique within the record. */
  record: string;
  vars: StateVar[];
}

/** One construct of a signature that cannot cross the boundary (AnalyzedFragment.cannotCross). */
export interface CrossingProblem {
  /** What it is, e.g. "func-typed result `func() int`". */
  what: string;
  /** Where it is in the source (repo-relative file). */
  pos: SourcePos;
  /** How to make it cross, when there is a way. */
  suggestion?: string;
}

export interface AnalysisResult {
  fragments: AnalyzedFragment[];
  /** Records used by any signature, keyed by record name. */
  types: TypeTable;
  /** Errors and hints; an error means the fragment cannot be built. */
  diagnostics: Diagnostic[];
  /** Every file whose content the build depends on, with its sha256: the build cache key. */
  inputs: Array<{ file: string; sha256: string }>;
  /** How many files were parsed with tree-sitter (benchmarks check this stays small). */
  filesParsed: number;
  /** Every module-level variable some fragment's `state` names (StateVar.key unique). */
  stateVars?: StateVar[];
  /** Language-specific facts shared by all fragments (Go: GoAnalysisDetail). Opaque to core. */
  detail?: unknown;
}

export interface CheckRequest {
  repo: string;
  /** This adapter's analysis of the fragments (its diagnostics included: a checker need not repeat them). */
  analysis: AnalysisResult;
  /** dcm's cache folder (BuildOptions.cacheDir), where a checker may keep results by content hash. Absent: the default cache folder. */
  cacheDir?: string;
}

export interface GenerateRequest {
  repo: string;
  analysis: AnalysisResult;
  /**
   * The fragments to put in the module for this side: the entry points
   * (functions and methods with `runOn` and a signature that crosses) and the
   * type and variable fragments. Functions and methods that cannot be called
   * (no `runOn`, or AnalyzedFragment.cannotCross) are not among them: they
   * are compiled in only as code the entry points use.
   */
  fragments: AnalyzedFragment[];
  side: Side;
  /**
   * The state accessors this language's modules must export (one entry per
   * group part of this language; empty or absent when no fragment keeps
   * state). Their `export` names go into GeneratedProject.exports under the
   * accessor ids, like fragments'.
   */
  stateGroups?: StateAccessorRequest[];
  /** Scratch folder for generated sources, owned by the build. */
  workDir: string;
  /** dcm's cache folder of this build (BuildOptions.cacheDir): where an adapter may keep warm toolchain state (Rust: cargo's target folders). Absent: the default cache folder. */
  cacheDir?: string;
}

export interface GeneratedProject {
  /** Files written under workDir, for golden tests. */
  files: Array<{ path: string; contents: string }>;
  /** Export name of every callable fragment in the module (written to the manifest). */
  exports: Record<string, string>;
  /** Sha256 over everything that determines the compiled module (generated files, toolchain, flags): the module cache key. */
  contentKey: string;
  /** Opaque to core; handed to the toolchain's compile(). */
  buildSpec: unknown;
}

export interface CompileResult {
  /** Absolute path of the produced module file. */
  file: string;
  target: ManifestModule["target"];
  toolchain: string;
  diagnostics: Diagnostic[];
  /**
   * A glue ES module the compiler produced for this very module (e.g. the JS
   * that wasm-bindgen writes), self-contained and browser-safe, default-exporting
   * a ModuleLoader. `dcm build` copies it into the dist as the module's `glue`,
   * and every host then loads the module through it.
   */
  glue?: string;
}

/**
 * What every command may ask of a language without loading it: cheap to
 * import (no parser, no toolchain, no compiler package), so that `dcm --help`
 * or a Go-only CFD never loads the other languages. The adapter repeats these
 * fields (it spreads its descriptor).
 */
export interface LanguageInfo {
  id: string;
  displayName: string;
  /** File extensions with the dot: [".go"]. */
  extensions: string[];
  /**
   * Optional finer claim on a repo-relative file, for languages that share an
   * extension (AssemblyScript and TypeScript both use `.ts`). Adapters with
   * this hook are asked first; a CFD `language:` key always wins.
   */
  claimsFile?(file: string): boolean;
  /** Module targets this language builds per side. */
  targets: Record<Side, Array<ManifestModule["target"]>>;
  /**
   * ESM module paths (absolute, of the compiled .js) of the runtime glue that
   * loads this language's modules, per target; see runtime/abi/module-types.ts.
   * Optional: a target left out gets core's glue for modules that follow
   * docs/abi.md (`wasm` and `native`; src/languages/runtime-glue.ts), so a
   * language whose modules follow the ABI names none. A `js` target must name
   * its glue. Glue of a portable target (`wasm`, `js`) must be browser-safe:
   * `dcm build` bundles it into the dist for browsers.
   */
  runtimeGlue?: Partial<Record<ManifestModule["target"], string>>;
}

/** A language as the registry holds it: its LanguageInfo plus the loader of its adapter. */
export interface LanguageDescriptor extends LanguageInfo {
  /** Imports `languages/<id>/adapter.ts` (dynamic import: parser, generators, toolchain drivers). */
  load(): Promise<LanguageAdapter>;
}

/** The heavy half of a language, loaded on first use (src/languages/registry.ts `loadAdapter`). */
export interface LanguageAdapter extends LanguageInfo {
  analyze(req: AnalyzeRequest): Promise<AnalysisResult>;
  /**
   * Optional: the language's own checker over what the build compiles, for
   * languages whose compile step does not check (TypeScript: esbuild strips
   * types). Run by `dcm validate` and `dcm build` after analyze (not by
   * `dcm analyze`); its errors stop the build as analysis errors do.
   */
  check?(req: CheckRequest): Promise<Diagnostic[]>;
  generate(req: GenerateRequest, target: ManifestModule["target"]): Promise<GeneratedProject>;
  compile(project: GeneratedProject, target: ManifestModule["target"], outFile: string): Promise<CompileResult>;
  toolchains: ToolchainDriver[];
  /**
   * What languages/README.md's support matrix says about this language
   * (generated by src/languages/write-support-matrix.ts; a test keeps it in sync).
   */
  support?: {
    /** Parser, e.g. `tree-sitter-go 0.25`. */
    grammar: string;
    /** Per target, how it is built, e.g. `{ wasm: "GOOS=wasip1 reactor" }`. */
    builds: Partial<Record<ManifestModule["target"], string>>;
    /** Supported and tested toolchain versions, e.g. `Go ≥ 1.24 (tested 1.26)`. */
    toolchains: string;
  };
}
