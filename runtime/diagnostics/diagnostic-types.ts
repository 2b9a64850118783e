/** Diagnostics (types only). Every problem the user can fix is one of these. */

export type Severity = "error" | "warning" | "hint";

export interface SourcePos {
  /** Path as the user gave it or repository-relative. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
}

export interface Diagnostic {
  /** Stable code from runtime/diagnostics/catalog.ts, e.g. `DCM_CFD_UNKNOWN_KEY`. */
  code: string;
  severity: Severity;
  message: string;
  pos?: SourcePos;
  /** What to do about it ("did you mean `runOn`?", "install Go: bash toolchains/go/install.sh"). */
  suggestion?: string;
  /** Fragment id the diagnostic is about, when there is one. */
  fragment?: string;
}
