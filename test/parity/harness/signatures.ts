/**
 * The value-model signature of every parity function, written once in a
 * compact notation (`i64`, `list<i32>`, `map<string,i32>`, `opt<Point>`,
 * `array<i32,4>`, a record name). The native references use it to turn the
 * canonical JSON of a case into the JS values a language's own glue takes
 * (AssemblyScript's `--bindings esm`, TypeScript's own functions) and their
 * results back into canonical JSON. Deliberately independent of dcm's
 * analysis, so that a wrong signature in an adapter shows up as a mismatch.
 */

export type T =
  | { k: "bool" | "string" | "bytes" }
  | { k: "int"; bits: 8 | 16 | 32 | 64; signed: boolean }
  | { k: "float"; bits: 32 | 64 }
  | { k: "list"; elem: T }
  | { k: "array"; elem: T; length: number }
  | { k: "map"; key: T; value: T }
  | { k: "opt"; inner: T }
  | { k: "record"; name: string };

/** Records by name: fields in declaration order, by their JSON name. A language's ParityLanguage may add its own (harness/languages.ts). */
export const RECORDS: Record<string, Array<[string, string]>> = {
  Point: [
    ["x", "i32"],
    ["y", "i32"],
  ],
  Line: [
    ["from", "Point"],
    ["to", "Point"],
  ],
  Person: [
    ["name", "string"],
    ["age", "u8"],
    ["tags", "list<string>"],
    ["home", "opt<Point>"],
  ],
  Rect: [
    ["width", "f64"],
    ["height", "f64"],
  ],
};

export interface FragmentSig {
  params: string[];
  /** Zero results: null; one: the value; several: an array. */
  results: string[];
  /** Results are float32: compare with canonicalEqual's float32 option. */
  float32?: boolean;
}

/** The signature every language shares (Go's), by fragment id. */
export const SIGNATURES: Record<string, FragmentSig> = {
  "add-i64": { params: ["i64", "i64"], results: ["i64"] },
  "wrap-add-i8": { params: ["i8", "i8"], results: ["i8"] },
  "negate-i64": { params: ["i64"], results: ["i64"] },
  "max-u64": { params: ["u64", "u64"], results: ["u64"] },
  "clamp-i16": { params: ["i16", "i16", "i16"], results: ["i16"] },
  "wrap-mul-u32": { params: ["u32", "u32"], results: ["u32"] },
  "format-i64": { params: ["i64"], results: ["string"] },
  "div-f64": { params: ["f64", "f64"], results: ["f64"] },
  "to-f32": { params: ["f64"], results: ["f32"], float32: true },
  "f32-round-trip": { params: ["f32"], results: ["f32"], float32: true },
  "mul-f32": { params: ["f32", "f32"], results: ["f32"], float32: true },
  "bool-logic": { params: ["bool", "bool"], results: ["bool"] },
  "is-prime": { params: ["u32"], results: ["bool"] },
  "fib-u64": { params: ["u32"], results: ["u64"] },
  "no-result": { params: ["i32"], results: [] },
  concat: { params: ["string", "string"], results: ["string"] },
  "reverse-string": { params: ["string"], results: ["string"] },
  "utf8-len": { params: ["string"], results: ["i32"] },
  "code-points": { params: ["string"], results: ["i32"] },
  "upper-ascii": { params: ["string"], results: ["string"] },
  "count-words": { params: ["string"], results: ["i32"] },
  "bytes-xor": { params: ["bytes", "u8"], results: ["bytes"] },
  "sum-list": { params: ["list<i64>"], results: ["i64"] },
  "sort-ints": { params: ["list<i64>"], results: ["list<i64>"] },
  "nested-lists": { params: ["list<list<i32>>"], results: ["list<list<i32>>"] },
  "map-count": { params: ["list<string>"], results: ["map<string,i32>"] },
  "map-invert": { params: ["map<string,i32>"], results: ["map<i32,string>"] },
  "array-rev": { params: ["array<i32,4>"], results: ["array<i32,4>"] },
  "multi-result": { params: ["list<i32>"], results: ["i32", "i32"] },
  "record-make": { params: ["i32", "i32"], results: ["Point"] },
  "record-move": { params: ["Line", "i32", "i32"], results: ["Line"] },
  "record-fields": { params: ["string", "u8", "list<string>", "opt<Point>"], results: ["Person"] },
  "optional-or": { params: ["opt<Point>", "Point"], results: ["Point"] },
  "optional-record": { params: ["list<Point>", "i32"], results: ["opt<Point>"] },
  "method-area": { params: ["Rect"], results: ["f64"] },
  "divide-checked": { params: ["i64", "i64"], results: ["i64"] },
  "index-panic": { params: ["list<i32>", "i32"], results: ["i32"] },
  "print-lines": { params: ["string", "i32"], results: ["i32"] },
};

/** A fragment's signature, with a language's overrides (its ParityLanguage's `signatures`) applied. */
export function signatureFor(id: string, overrides: Record<string, Partial<FragmentSig>> = {}): FragmentSig {
  const base = SIGNATURES[id];
  if (!base) throw new Error(`parity: no signature for fragment \`${id}\` in test/parity/harness/signatures.ts`);
  return { ...base, ...overrides[id] };
}

/** Parses the compact notation. */
export function parseType(text: string): T {
  const s = text.replace(/\s+/g, "");
  const ints: Record<string, T> = {
    i8: { k: "int", bits: 8, signed: true },
    u8: { k: "int", bits: 8, signed: false },
    i16: { k: "int", bits: 16, signed: true },
    u16: { k: "int", bits: 16, signed: false },
    i32: { k: "int", bits: 32, signed: true },
    u32: { k: "int", bits: 32, signed: false },
    i64: { k: "int", bits: 64, signed: true },
    u64: { k: "int", bits: 64, signed: false },
  };
  if (ints[s]) return ints[s]!;
  if (s === "f32" || s === "f64") return { k: "float", bits: s === "f32" ? 32 : 64 };
  if (s === "bool" || s === "string" || s === "bytes") return { k: s };
  const m = /^(list|array|map|opt)<(.*)>$/.exec(s);
  if (m) {
    const inner = splitTop(m[2]!);
    if (m[1] === "list") return { k: "list", elem: parseType(inner[0]!) };
    if (m[1] === "opt") return { k: "opt", inner: parseType(inner[0]!) };
    if (m[1] === "array") return { k: "array", elem: parseType(inner[0]!), length: Number(inner[1]) };
    return { k: "map", key: parseType(inner[0]!), value: parseType(inner[1]!) };
  }
  if (RECORDS[s]) return { k: "record", name: s };
  throw new Error(`parity: unknown type \`${text}\``);
}

function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "<") depth++;
    else if (s[i] === ">") depth--;
    else if (s[i] === "," && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}
