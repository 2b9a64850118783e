/**
 * What analysis keeps of one parsed Go file (types only). A FileSummary is
 * plain data, so it can live in AnalyzeRequest.cache keyed by the file's
 * content hash and outlive the tree-sitter tree it came from.
 */
import type { FragmentKind } from "../../../runtime/abi/manifest-types.js";

/** 1-based line and column (UTF-16 code units, as JS strings count). */
export interface Pos {
  line: number;
  col: number;
}

/** A Go type as written in the source, before any name is resolved. */
export type TypeExpr =
  | { k: "name"; name: string; pos: Pos }
  | { k: "qual"; pkg: string; name: string; pos: Pos }
  | { k: "pointer"; elem: TypeExpr; pos: Pos }
  | { k: "slice"; elem: TypeExpr; pos: Pos }
  | { k: "array"; len: ConstExpr; elem: TypeExpr; pos: Pos }
  | { k: "map"; key: TypeExpr; value: TypeExpr; pos: Pos }
  | { k: "struct"; fields: FieldExpr[]; pos: Pos }
  /** Constructs no signature may use; `text` is the source, for messages. */
  | { k: "generic" | "chan" | "func" | "interface" | "other"; text: string; pos: Pos };

export interface FieldExpr {
  /** Empty for an embedded field. */
  names: string[];
  type: TypeExpr;
  /** The `json:"..."` tag value, when there is one. */
  json?: string;
  pos: Pos;
}

/** A constant expression, kept only as far as array lengths need. */
export type ConstExpr =
  | { k: "int"; value: number }
  | { k: "ident"; name: string }
  | { k: "qual"; pkg: string; name: string }
  | { k: "unary"; op: string; x: ConstExpr }
  | { k: "binary"; op: string; l: ConstExpr; r: ConstExpr }
  | { k: "other"; text: string };

export interface ParamExpr {
  /** Absent for unnamed parameters and results. */
  name?: string;
  type: TypeExpr;
  variadic: boolean;
  pos: Pos;
}

export interface FuncShape {
  /** Position of the type parameter list of a generic function. */
  typeParams?: Pos;
  params: ParamExpr[];
  results: ParamExpr[];
}

export interface ReceiverShape {
  /** Absent or `_` when the receiver is unnamed. */
  name?: string;
  typeName: string;
  pointer: boolean;
  /** Set when the receiver's type is generic (`func (c *C[T]) ...`). */
  generic: boolean;
  pos: Pos;
}

/** A selector `x.Name` whose operand is not known to be a package. */
export interface SelectorRef {
  name: string;
  /** The operand when it is a plain identifier. */
  operand?: string;
  /** True when the operand is a name bound inside the declaration. */
  operandLocal: boolean;
  /** The declared type of a local operand, when written down. */
  operandType?: TypeExpr;
  /**
   * The operand is a field of a local whose type is written down (`w.pos.String()`
   * with `w *wireErr`): that type and the field name, so that the field's
   * declared type can pick the method.
   */
  operandField?: { ownerType: TypeExpr; field: string };
  /** The selector is called: `x.Name(...)`. */
  call: boolean;
}

/** What a declaration refers to (locals already removed). */
export interface Refs {
  /** Unqualified value identifiers (functions, vars, consts, or import names). */
  idents: string[];
  /** Unqualified type identifiers (builtins included; the resolver skips them). */
  types: string[];
  /** `pkg.Name` in type position (qualified_type). */
  qualTypes: Array<{ pkg: string; name: string }>;
  /** `x.Name` in expression position; `x` may turn out to be an import. */
  selectors: SelectorRef[];
  /** Names at the root of what the declaration assigns, inc/decs, takes the address of or deletes from (writes.ts). */
  writes: WriteRef[];
}

/** `x` (pkg absent) or `pkg.X` / `v.f` (pkg = the operand name) written by a declaration. */
export interface WriteRef {
  name: string;
  pkg?: string;
}

export interface Decl {
  kind: FragmentKind;
  /** Declared name (for methods: the method name alone). */
  name: string;
  /** `Name`, or `Type.Method` for methods. */
  symbol: string;
  /** 1-based lines of the declaration node. */
  line: number;
  endLine: number;
  /** Position of the declared name. */
  pos: Pos;
  recv?: ReceiverShape;
  func?: FuncShape;
  /** Type declarations: the type on the right; var/const: the declared type, if any. */
  type?: TypeExpr;
  /** A var without a declared type: its initializer's type when the initializer writes it (literal, `T{…}`, `make(T)`…). */
  initType?: TypeExpr;
  /** `type A = B`. */
  alias?: boolean;
  /** Position of the type parameters of a generic type declaration. */
  typeParams?: Pos;
  /** Const declarations with an explicit value (no implicit repetition). */
  constValue?: ConstExpr;
  /** Offsets (JS string indices) of the declaration node, to find it again in the tree. */
  start: number;
  end: number;
  /** Computed on first use (GoWorkspace.refs): most declarations of a parsed file are never visited. */
  refs?: Refs;
}

export interface ImportSpec {
  /** The alias as written: a name, `.` or `_`; absent when not aliased. */
  alias?: string;
  path: string;
  pos: Pos;
}

export interface FileSummary {
  pkgName: string;
  imports: ImportSpec[];
  decls: Decl[];
  /** First ERROR or MISSING node, when tree-sitter could not parse the file cleanly. */
  syntaxError?: Pos & { text: string };
}
