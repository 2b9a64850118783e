/**
 * Per-type AssemblyScript encoders and decoders for the wire format of
 * docs/abi.md: one function pair per compound type reachable from the
 * fragments' signatures (no reflection), so recursive records work.
 */
import type { AsClass, AsPrim, AsType } from "../as-types.js";

const PRIM_RW: Record<AsPrim, string> = {
  bool: "Bool",
  i8: "I8",
  i16: "I16",
  i32: "I32",
  i64: "I64",
  u8: "U8",
  u16: "U16",
  u32: "U32",
  u64: "U64",
  f32: "F32",
  f64: "F64",
};

const TYPED_ELEM: Record<string, AsPrim> = {
  Int8Array: "i8",
  Uint8ClampedArray: "u8",
  Int16Array: "i16",
  Uint16Array: "u16",
  Int32Array: "i32",
  Uint32Array: "u32",
  Int64Array: "i64",
  Uint64Array: "u64",
  Float32Array: "f32",
  Float64Array: "f64",
};

export class CodecGen {
  private readonly done = new Set<string>();
  private readonly out: string[] = [];

  /** classAlias: class key -> the local name the entry file imports it under. */
  constructor(
    private readonly classes: Record<string, AsClass>,
    private readonly classAlias: (key: string) => string,
  ) {}

  /** The generated functions, in the order they were first needed. */
  code(): string {
    return this.out.join("\n");
  }

  /** A stable identifier for a type. */
  key(t: AsType): string {
    switch (t.k) {
      case "prim":
        return t.name;
      case "string":
        return "string";
      case "typed":
        return t.name;
      case "array":
        return `${t.of === "Array" ? "Arr" : "SArr"}_${this.key(t.elem)}`;
      case "map":
        return `Map_${this.key(t.key)}_${this.key(t.value)}`;
      case "class":
        return `C_${this.classAlias(t.key)}`;
      case "nullable":
        return `Opt_${this.key(t.inner)}`;
      case "set":
        return `Set_${this.key(t.elem)}`;
    }
  }

  /** The AssemblyScript type expression. */
  asType(t: AsType): string {
    switch (t.k) {
      case "prim":
        return t.name;
      case "string":
        return "string";
      case "typed":
        return t.name;
      case "array":
        return `${t.of}<${this.asType(t.elem)}>`;
      case "map":
        return `Map<${this.asType(t.key)}, ${this.asType(t.value)}>`;
      case "class":
        return this.classAlias(t.key);
      case "nullable":
        return `${this.asType(t.inner)} | null`;
      case "set":
        return `Set<${this.asType(t.elem)}>`;
    }
  }

  /** An expression reading one value of t from the input. */
  read(t: AsType): string {
    if (t.k === "prim") return `dcmRead${PRIM_RW[t.name]}()`;
    if (t.k === "string") return "dcmReadString()";
    if (t.k === "typed" && t.name === "Uint8Array") return "dcmReadBytes()";
    this.need(t);
    return `dcmD_${this.key(t)}()`;
  }

  /** A statement writing the value of `expr` (of type t). */
  write(t: AsType, expr: string): string {
    if (t.k === "prim") return `dcmWrite${PRIM_RW[t.name]}(${expr});`;
    if (t.k === "string") return `dcmWriteString(${expr});`;
    if (t.k === "typed" && t.name === "Uint8Array") return `dcmWriteBytes(${expr});`;
    this.need(t);
    return `dcmE_${this.key(t)}(${expr});`;
  }

  /**
   * The fewest bytes one value takes on the wire: bounds a count before
   * allocating, and 0 (an empty class) selects the zero-size list limit.
   */
  private minSize(t: AsType): number {
    switch (t.k) {
      case "prim":
        return t.name === "bool" || t.name.endsWith("8") ? 1 : Number(t.name.slice(1)) / 8;
      case "nullable":
        return 1;
      case "class":
        // A class cannot hold itself except through a nullable field (1 byte), so this ends.
        return this.classes[t.key]!.fields.reduce((n, f) => n + this.minSize(f.type), 0);
      default:
        // string, Uint8Array and the other typed arrays, Array, StaticArray, Map, Set: a u32 count first.
        return 4;
    }
  }

  private need(t: AsType): void {
    const k = this.key(t);
    if (this.done.has(k)) return;
    this.done.add(k);
    const T = this.asType(t);
    const lines: string[] = [];
    const emit = (...l: string[]) => lines.push(...l);
    switch (t.k) {
      case "array": {
        const E = this.asType(t.elem);
        emit(
          `function dcmD_${k}(): ${T} {`,
          `  const n = dcmReadCount(${this.minSize(t.elem)});`,
          `  const a = new ${t.of}<${E}>(n);`,
          `  for (let i = 0; i < n; i++) unchecked((a[i] = ${this.read(t.elem)}));`,
          "  return a;",
          "}",
          `function dcmE_${k}(a: ${T}): void {`,
          "  const n = a.length;",
          "  dcmWriteU32(<u32>n);",
          `  for (let i = 0; i < n; i++) ${this.write(t.elem, "unchecked(a[i])")}`,
          "}",
        );
        break;
      }
      case "typed": {
        const e: AsType = { k: "prim", name: TYPED_ELEM[t.name]! };
        emit(
          `function dcmD_${k}(): ${T} {`,
          `  const n = dcmReadCount(${this.minSize(e)});`,
          `  const a = new ${T}(n);`,
          `  for (let i = 0; i < n; i++) unchecked((a[i] = ${this.read(e)}));`,
          "  return a;",
          "}",
          `function dcmE_${k}(a: ${T}): void {`,
          "  const n = a.length;",
          "  dcmWriteU32(<u32>n);",
          `  for (let i = 0; i < n; i++) ${this.write(e, "unchecked(a[i])")}`,
          "}",
        );
        break;
      }
      case "map": {
        // Keys go out sorted (docs/abi.md): strings in UTF-8 byte order, numbers numerically with NaN first
        // (as the JS codec). Not sort()'s default: it subtracts (i32(a) - i32(b)), which overflows at the
        // extremes (2147483647 came before -2147483648) and reads u32 keys as signed.
        const isFloat = t.key.k === "prim" && (t.key.name === "f32" || t.key.name === "f64");
        const sort =
          t.key.k === "string"
            ? "ks.sort(dcmCompareStrings);"
            : isFloat
              ? "ks.sort((a, b) => (isNaN(a) ? (isNaN(b) ? 0 : -1) : isNaN(b) ? 1 : i32(a > b) - i32(a < b)));"
              : "ks.sort((a, b) => i32(a > b) - i32(a < b));";
        emit(
          `function dcmD_${k}(): ${T} {`,
          "  const n = dcmReadCount(1);",
          `  const m = new Map<${this.asType(t.key)}, ${this.asType(t.value)}>();`,
          "  for (let i = 0; i < n; i++) {",
          `    const k = ${this.read(t.key)};`,
          `    m.set(k, ${this.read(t.value)});`,
          "  }",
          "  return m;",
          "}",
          `function dcmE_${k}(m: ${T}): void {`,
          "  const ks = m.keys();",
          `  ${sort}`,
          "  dcmWriteU32(<u32>ks.length);",
          "  for (let i = 0; i < ks.length; i++) {",
          "    const k = unchecked(ks[i]);",
          `    ${this.write(t.key, "k")}`,
          `    ${this.write(t.value, "m.get(k)")}`,
          "  }",
          "}",
        );
        break;
      }
      case "class": {
        // Built without its constructor (which may take arguments or have effects); every field is assigned.
        const c = this.classes[t.key]!;
        emit(`function dcmD_${k}(): ${T} {`, `  const o = changetype<${T}>(__new(offsetof<${T}>(), idof<${T}>()));`);
        for (const f of c.fields) emit(`  o.${f.name} = ${this.read(f.type)};`);
        emit("  return o;", "}", `function dcmE_${k}(o: ${T}): void {`);
        for (const f of c.fields) emit(`  ${this.write(f.type, `o.${f.name}`)}`);
        emit("}");
        break;
      }
      case "set": {
        // A list in insertion order; decoding adds the elements in that order (a repeated one is kept once).
        emit(
          `function dcmD_${k}(): ${T} {`,
          `  const n = dcmReadCount(${this.minSize(t.elem)});`,
          `  const s = new ${T}();`,
          `  for (let i = 0; i < n; i++) s.add(${this.read(t.elem)});`,
          "  return s;",
          "}",
          `function dcmE_${k}(s: ${T}): void {`,
          "  const a = s.values();",
          "  dcmWriteU32(<u32>a.length);",
          `  for (let i = 0; i < a.length; i++) ${this.write(t.elem, "unchecked(a[i])")}`,
          "}",
        );
        break;
      }
      case "nullable": {
        emit(
          `function dcmD_${k}(): ${T} {`,
          "  if (!dcmReadTag()) return null;",
          `  return ${this.read(t.inner)};`,
          "}",
          `function dcmE_${k}(v: ${T}): void {`,
          "  if (v === null) {",
          "    dcmWriteU8(0);",
          "  } else {",
          "    dcmWriteU8(1);",
          `    ${this.write(t.inner, "v!")}`,
          "  }",
          "}",
        );
        break;
      }
      default:
        return;
    }
    this.out.push(lines.join("\n"));
  }
}
