/**
 * The language-neutral value model (types only). Every fragment signature in
 * the manifest is written in these types, and every boundary (WASM, native
 * plugin, WebSocket) carries values of these types. See docs/abi.md.
 */

export type IntBits = 8 | 16 | 32 | 64;

export type VType =
  | { kind: "bool" }
  | { kind: "int"; bits: IntBits; signed: boolean }
  | { kind: "float"; bits: 32 | 64 }
  | { kind: "string" }
  | { kind: "bytes" }
  | { kind: "list"; elem: VType }
  | { kind: "array"; elem: VType; length: number }
  | { kind: "map"; key: VType; value: VType }
  /** A named record; its fields live in the manifest's `types` table so that records may be recursive. */
  | { kind: "record"; name: string }
  | { kind: "optional"; inner: VType };

export interface RecordField {
  /** Field name in the source (Go: `Name`). */
  name: string;
  /** Name used in JS objects and JSON (Go: the `json:"..."` tag, else the source name). */
  jsonName: string;
  type: VType;
}

export interface RecordDef {
  name: string;
  /** Language-qualified origin, e.g. `example.com/app/shared.Employee`. */
  origin: string;
  fields: RecordField[];
}

export interface Param {
  name: string;
  type: VType;
  /** Variadic parameter: `type` is the list type; callers pass the remaining arguments. */
  variadic?: boolean;
  /** The receiver of a method: always the first parameter. */
  receiver?: boolean;
}

export interface Signature {
  params: Param[];
  /** Results without a trailing error. Zero results: the value is null; one: that value; several: an array. */
  results: VType[];
  /** True when the source returns a trailing error (Go `error`, Rust `Result`). */
  error: boolean;
}

/**
 * How a fragment crosses the boundary. `scalar`: arguments and the result are
 * passed as plain WASM/C numbers; `buffer`: arguments and results are encoded
 * in the binary format of docs/abi.md.
 */
export type CallAbi = "scalar" | "buffer";

export type TypeTable = Record<string, RecordDef>;
