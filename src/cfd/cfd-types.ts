/** The Code Fragment Description after parsing (types only). See docs/cfd.md. */
import type { FragmentKind, Side } from "../../runtime/abi/manifest-types.js";
import type { SourcePos } from "../diagnostics/diagnostic-types.js";

export interface CfdFragment {
  /** Normalised to a string; the paper's integer ids become "6". */
  id: string;
  /** Symbol in the source: `Func`, `Type.Method`, or a bare method name plus location. */
  name: string;
  runOn: Side;
  location: { filepath: string; start?: number; end?: number };
  libs?: string[];
  dependsOn?: string[];
  globalVar?: string[];
  typeDef?: string[];
  /** Extensions (not in the paper's format). */
  language?: string;
  kind?: FragmentKind;
  idempotent?: boolean;
  stateful?: boolean;
  /** Where each key sits in the CFD, for diagnostics (`fragment` = the list item itself). */
  positions: { fragment: SourcePos } & Partial<Record<string, SourcePos>>;
}

export interface Cfd {
  /** Path of the CFD file. */
  file: string;
  fragments: CfdFragment[];
  /** Root-level defaults (extension): e.g. `defaults: { runOn: client }`. */
  defaults?: { runOn?: Side; language?: string };
}
