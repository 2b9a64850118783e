/** What generate() hands to compile() for AssemblyScript (opaque to core). */

export interface AsBuildSpec {
  kind: "assemblyscript";
  /** Absolute path of the generated project (entry.ts, dcm_abi.ts, src/ with the copied user files). */
  projectDir: string;
  /** Absolute repository path (diagnostics map copied files back to it). */
  repo: string;
  /** asc arguments without the output file. */
  flags: string[];
  /** Repo-relative user files copied under src/. */
  sourceFiles: string[];
  /** Fragments with their repo-relative file and line range, to name the fragment of a compiler error. */
  fragments: Array<{ id: string; file: string; line: number; endLine: number }>;
}

export function isAsBuildSpec(x: unknown): x is AsBuildSpec {
  return typeof x === "object" && x !== null && (x as { kind?: unknown }).kind === "assemblyscript";
}

/** The user's sources live under src/ in the generated project, at their repo-relative paths. */
export const SRC_DIR = "src";

/**
 * asc flags: -O3 with the incremental GC (memory stays correct across calls);
 * abort/trace/seed and `console` are replaced by dcm_abi functions so that
 * the module imports nothing from `env` (console and trace print through
 * WASI fd_write, which the host captures per call).
 */
export const ASC_FLAGS = [
  "entry.ts",
  "-O3",
  "--runtime",
  "incremental",
  "--use",
  "abort=dcm_abi/dcmAbort",
  "--use",
  "trace=dcm_abi/dcmTrace",
  "--use",
  "seed=dcm_abi/dcmSeed",
  "--use",
  "console=dcm_abi/dcmConsole",
  "--noColors",
];
