/**
 * Go-specific analysis facts (types only): what languages/go/analysis hands to
 * languages/go/generate through AnalyzedFragment.detail and AnalysisResult.detail.
 */

export type GoBasicName =
  | "bool"
  | "string"
  | "int" | "int8" | "int16" | "int32" | "int64"
  | "uint" | "uint8" | "uint16" | "uint32" | "uint64"
  | "byte" | "rune"
  | "float32" | "float64";

export type GoType =
  | { k: "basic"; name: GoBasicName }
  /** A declared type, resolved through GoAnalysisDetail.named. */
  | { k: "named"; pkgPath: string; name: string }
  | { k: "slice"; elem: GoType }
  | { k: "array"; len: number; elem: GoType }
  | { k: "map"; key: GoType; value: GoType }
  | { k: "pointer"; elem: GoType }
  /** Only as the underlying type of a named type. */
  | { k: "struct"; fields: GoField[] };

export interface GoField {
  /** Go field name (exported fields only cross the boundary). */
  name: string;
  /** From the `json:"..."` tag, else the Go name. */
  jsonName: string;
  type: GoType;
}

export interface GoNamedType {
  pkgPath: string;
  pkgName: string;
  name: string;
  underlying: GoType;
  /** Key of the manifest TypeTable record for struct types (unique across packages). */
  recordName?: string;
  file: string;
  line: number;
}

export interface GoPackageRef {
  /** Import path, e.g. `example.com/app/shared`. */
  pkgPath: string;
  /** Package clause name, e.g. `shared` or `main`. */
  pkgName: string;
  /** Repo-relative directory. */
  dir: string;
}

export interface GoFragmentDetail {
  pkg: GoPackageRef;
  /** Function name or method name (without the receiver type). */
  funcName: string;
  receiver?: { typeName: string; pointer: boolean };
  params: Array<{ name: string; type: GoType; variadic: boolean }>;
  /** Without the trailing error. */
  results: GoType[];
  hasError: boolean;
}

export interface GoAnalysisDetail {
  /** Module path from go.mod and the repo-relative directory holding go.mod. */
  module: { path: string; dir: string; goVersion: string };
  /** Every named type reachable from a signature, keyed `pkgPath.Name`. */
  named: Record<string, GoNamedType>;
}
