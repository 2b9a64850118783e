/** The Code Fragment Description after parsing (types only). See docs/cfd.md. */
import type { FragmentKind, Side } from "../../runtime/abi/manifest-types.js";
import type { SourcePos } from "../../runtime/diagnostics/diagnostic-types.js";

export interface CfdFragment {
  /** Normalised to a string; the paper's integer ids become "6". */
  id: string;
  /** Symbol in the source: `Func`, `Type.Method`, or a bare method name plus location. */
  name: string;
  /**
   * Where the fragment starts. Absent (and no `defaults.runOn`): the fragment
   * is a dependency, compiled in as code other fragments use, not an entry point.
   */
  runOn?: Side;
  location: { filepath: string; start?: number; end?: number };
  /** Import paths as written: `path`, or `alias path` for an aliased import (see parseLib). */
  libs?: string[];
  dependsOn?: string[];
  /** dcm's list form `globalVar: [a, b]`: package-level variables this fragment uses. */
  globalVar?: string[];
  /** dcm's list form `typeDef: [T]`: types this fragment uses. */
  typeDef?: string[];
  /** The paper's flag `globalVar: true`: the fragment is a package-level variable or constant. */
  globalVarFlag?: boolean;
  /** The paper's flag `typeDef: true`: the fragment is a type declaration. */
  typeDefFlag?: boolean;
  /** Extensions (not in the paper's format). */
  language?: string;
  kind?: FragmentKind;
  idempotent?: boolean;
  /**
   * Absent: inferred (the fragment is stateful when its closure touches
   * module-level state). `false`: its state is not migrated (each side keeps
   * its own; no group, no DCM_STATE_NOT_ENCODABLE). `true`: stateful even
   * when nothing is found (it gets per-client server state and moves in a group).
   */
  stateful?: boolean;
  /** Extension (issue 12): fragments with the same `group` name move together, in addition to the groups the analysis infers. */
  group?: string;
  /** Where each key sits in the CFD, for diagnostics (`fragment` = the list item itself). */
  positions: { fragment: SourcePos } & Partial<Record<string, SourcePos>>;
}

/** One `libs` entry: `math`, or `mathematics math` for `import mathematics "math"`. */
export interface CfdLib {
  path: string;
  alias?: string;
}

export interface Cfd {
  /** Path of the CFD file. */
  file: string;
  fragments: CfdFragment[];
  /** Root-level defaults (extension): e.g. `defaults: { runOn: client }`. */
  defaults?: { runOn?: Side; language?: string };
}
