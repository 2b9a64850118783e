/**
 * The one error catalog. Codes are stable: tools and docs refer to them.
 * docs/errors.md lists every code; test/unit/error-catalog.spec.ts keeps the
 * two in sync. Add new codes to the section of the component that raises
 * them; never reuse or rename a code.
 */
import type { Diagnostic, Severity, SourcePos } from "./diagnostic-types.js";

export interface CatalogEntry {
  severity: Severity;
  /** One line: what is wrong in general. Details go in the diagnostic's message. */
  title: string;
  /** How to fix it, in general. A diagnostic may give a more specific suggestion. */
  fix: string;
}

export const CATALOG = {
  // ---- CFD (src/cfd) ----
  DCM_CFD_YAML_SYNTAX: { severity: "error", title: "The CFD is not valid YAML", fix: "Correct the YAML syntax at the reported position." },
  DCM_CFD_NOT_FOUND: { severity: "error", title: "The CFD file cannot be read", fix: "Check the path given to --cfd." },
  DCM_CFD_NO_FRAGMENTS: { severity: "error", title: "The CFD has no `fragments:` list at its root", fix: "Add a root key `fragments:` holding a list of fragment descriptions." },
  DCM_CFD_UNKNOWN_KEY: { severity: "error", title: "Unknown key in the CFD", fix: "Remove the key or correct its spelling." },
  DCM_CFD_MISSING_KEY: { severity: "error", title: "A required key is missing", fix: "Add the key to the fragment." },
  DCM_CFD_INVALID_VALUE: { severity: "error", title: "A key has a value of the wrong type or form", fix: "Use the form shown in docs/cfd.md." },
  DCM_CFD_INVALID_RUNON: { severity: "error", title: "`runOn` must be `client` or `server`", fix: "Set `runOn: client` or `runOn: server`." },
  DCM_CFD_DUPLICATE_ID: { severity: "error", title: "Two fragments share an id", fix: "Give every fragment its own id." },
  DCM_CFD_UNKNOWN_DEPENDENCY: { severity: "error", title: "`dependsOn` names a fragment id that does not exist", fix: "Use the id of a fragment declared in this CFD." },
  DCM_CFD_FILE_NOT_FOUND: { severity: "error", title: "`location.filepath` matches no file in the repository", fix: "Give a path (or path suffix) of a source file in the repository." },
  DCM_CFD_FILE_AMBIGUOUS: { severity: "error", title: "`location.filepath` matches several files", fix: "Give a longer path suffix so that exactly one file matches." },
  DCM_CFD_SYMBOL_NOT_FOUND: { severity: "error", title: "The fragment's `name` is not declared in its file", fix: "Use the name of a function, method, variable, constant or type declared in that file." },
  DCM_CFD_KIND_MISMATCH: { severity: "error", title: "The declared `kind` does not match the code", fix: "Set `kind` to what the symbol is, or remove `kind`." },
  DCM_CFD_UNKNOWN_LANGUAGE: { severity: "error", title: "No language adapter handles this file or `language`", fix: "Use a file of a supported language (see languages/README.md)." },
  DCM_CFD_MISSING_LIBS: { severity: "hint", title: "Detected libraries are not listed in `libs`", fix: "Run `dcm validate --fix` to write them into the CFD." },
  DCM_CFD_MISSING_DEPENDS_ON: { severity: "hint", title: "Detected fragment dependencies are not listed in `dependsOn`", fix: "Run `dcm validate --fix` to write them into the CFD." },
  DCM_CFD_MISSING_GLOBAL_VAR: { severity: "hint", title: "Detected package-level variables are not listed in `globalVar`", fix: "Run `dcm validate --fix` to write them into the CFD." },
  DCM_CFD_MISSING_TYPE_DEF: { severity: "hint", title: "Detected type definitions are not listed in `typeDef`", fix: "Run `dcm validate --fix` to write them into the CFD." },
  DCM_CFD_LOCATION_RANGE: { severity: "error", title: "`location.start`/`end` do not enclose the symbol", fix: "Correct the line range or remove `start` and `end`." },

  // ---- Analysis (languages/*) ----
  DCM_SOURCE_SYNTAX: { severity: "error", title: "The source file does not parse", fix: "Fix the syntax error at the reported line." },
  DCM_UNSUPPORTED_CONSTRUCT: { severity: "error", title: "The fragment uses a construct dcm does not support yet", fix: "Change the signature to use supported types (the value model table in docs/abi.md), or leave this function out of the CFD." },
  DCM_UNSUPPORTED_TYPE: { severity: "error", title: "A parameter or result type cannot cross the client/server boundary", fix: "Use a type of the value model (the value model table in docs/abi.md)." },
  DCM_TYPE_NOT_FOUND: { severity: "error", title: "A type used in a fragment signature cannot be found in the repository", fix: "Declare the type in the repository or use a supported built-in type." },
  DCM_REPO_NOT_FOUND: { severity: "error", title: "The repository folder cannot be read", fix: "Check the repository path." },
  DCM_GO_MOD_MISSING: { severity: "error", title: "No go.mod found above a Go fragment", fix: "Run `go mod init <module>` at the repository root." },

  // ---- Toolchains and compilation (toolchains/, languages/*) ----
  DCM_TOOLCHAIN_MISSING: { severity: "error", title: "A required toolchain is not installed", fix: "Run `bash toolchains/install.sh` (or the language's install script named in the message)." },
  DCM_TOOLCHAIN_TOO_OLD: { severity: "error", title: "The installed toolchain is too old", fix: "Install the version named in the message." },
  DCM_COMPILE_FAILED: { severity: "error", title: "The compiler rejected the fragment code", fix: "Fix the error at the reported source line; the compiler's own message follows." },
  DCM_BUILD_OUTPUT: { severity: "error", title: "The output folder cannot be written", fix: "Choose a writable --out folder." },

  // ---- Invocation (runtime) ----
  DCM_FRAGMENT_ERROR: { severity: "error", title: "The fragment returned an error", fix: "This is the fragment's own error result; see its message." },
  DCM_FRAGMENT_PANIC: { severity: "error", title: "The fragment panicked", fix: "Fix the fragment; the panic message says what failed." },
  DCM_UNKNOWN_FRAGMENT: { severity: "error", title: "No fragment with this id in the manifest", fix: "Use an id listed in dist/manifest.json (`dcm analyze` lists them)." },
  DCM_NOT_CALLABLE: { severity: "error", title: "The fragment is not a function or method", fix: "Only function and method fragments can be invoked." },
  DCM_BAD_ARGUMENTS: { severity: "error", title: "The arguments do not match the fragment's signature", fix: "Pass one JSON value per parameter, of the parameter's type." },
  DCM_MANIFEST_INVALID: { severity: "error", title: "The dist folder has no valid manifest.json", fix: "Run `dcm build` to produce the dist folder." },
  DCM_MODULE_CORRUPT: { severity: "error", title: "A module is damaged: its sha256 does not match the manifest, or it does not follow the dcm ABI", fix: "Rebuild the dist folder with `dcm build`." },
  DCM_NO_MODULE_FOR_SIDE: { severity: "error", title: "No module in the dist folder runs this fragment on the requested side", fix: "Rebuild, or invoke on the other side." },

  // ---- CLI ----
  DCM_CLI_USAGE: { severity: "error", title: "The command line is not valid", fix: "Run `dcm --help` for usage." },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof CATALOG;

export function diag(
  code: ErrorCode,
  message: string,
  extra: { pos?: SourcePos; suggestion?: string; fragment?: string; severity?: Severity } = {},
): Diagnostic {
  const entry: CatalogEntry = CATALOG[code];
  const d: Diagnostic = { code, severity: extra.severity ?? entry.severity, message };
  if (extra.pos) d.pos = extra.pos;
  d.suggestion = extra.suggestion ?? entry.fix;
  if (extra.fragment !== undefined) d.fragment = extra.fragment;
  return d;
}

/** An error that carries diagnostics. Library code throws this; only the CLI turns it into an exit code. */
export class DcmError extends Error {
  readonly diagnostics: Diagnostic[];
  readonly code: string;
  constructor(diagnostics: Diagnostic | Diagnostic[]) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    if (!list.length) throw new TypeError("DcmError needs at least one diagnostic");
    super(list.map(formatDiagnostic).join("\n"));
    this.name = "DcmError";
    this.diagnostics = list;
    this.code = list[0]!.code;
  }
}

export function dcmError(code: ErrorCode, message: string, extra: Parameters<typeof diag>[2] = {}): DcmError {
  return new DcmError(diag(code, message, extra));
}

/** `file:line:col: error DCM_X: message\n  hint: suggestion` */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.pos ? `${d.pos.file}:${d.pos.line}:${d.pos.col}: ` : "";
  const hint = d.suggestion ? `\n  fix: ${d.suggestion}` : "";
  return `${where}${d.severity} ${d.code}: ${d.message}${hint}`;
}
