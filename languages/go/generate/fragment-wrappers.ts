/**
 * The per-fragment Go wrappers in main.go. A scalar-ABI fragment gets an
 * export whose parameters and result are the ABI's own integer/float types,
 * converted inline; a buffer-ABI fragment gets a thin export that hands the
 * buffer to `dcm_call` plus a `dcmCall_<x>` function that decodes the
 * arguments, calls the fragment and encodes the results.
 */
import type { GoType } from "../go-types.js";
import type { GoTarget } from "./build-spec.js";
import type { CallPlan } from "./call-plan.js";
import type { Codec, ImportTable } from "./codec-gen.js";
import { basicUnder, canonicalBasic, type NamedTable } from "./type-model.js";

function fragmentComment(c: CallPlan): string {
  const d = c.detail;
  const sym = d.receiver
    ? d.receiver.pointer
      ? `(*${d.receiver.typeName}).${d.funcName}`
      : `${d.receiver.typeName}.${d.funcName}`
    : d.funcName;
  return `// ${c.exportName}: fragment ${JSON.stringify(c.frag.id)}, ${d.pkg.pkgName}.${sym} (${c.abi} ABI).`;
}

/** The call of the fragment through its alias, with the given argument expressions. */
function callExpr(c: CallPlan, imports: ImportTable, args: string[]): string {
  return `${imports.qualify(c.pkg.effPath)}.DcmFn_${c.suffix}(${args.join(", ")})`;
}

interface ScalarAbiType {
  wasm: string;
  native: string;
}

function scalarAbiType(t: GoType, named: NamedTable): ScalarAbiType {
  const c = canonicalBasic(basicUnder(t, named)!);
  switch (c) {
    case "bool":
    case "int8":
    case "int16":
    case "int32":
      return { wasm: "int32", native: "C.int32_t" };
    case "uint8":
    case "uint16":
    case "uint32":
      return { wasm: "int32", native: "C.uint32_t" };
    case "int":
    case "int64":
      return { wasm: "int64", native: "C.int64_t" };
    case "uint":
    case "uint64":
      return { wasm: "int64", native: "C.uint64_t" };
    case "float32":
      return { wasm: "float32", native: "C.float" };
    case "float64":
      return { wasm: "float64", native: "C.double" };
    default:
      throw new Error(`dcm go generator: ${c} is not a scalar type`);
  }
}

export function renderExport(c: CallPlan, target: GoTarget, codec: Codec, imports: ImportTable): string {
  // gofmt separates a doc comment from a directive with an empty `//` line.
  const lines = [fragmentComment(c), "//"];
  lines.push(target === "wasm" ? `//go:wasmexport ${c.exportName}` : `//export ${c.exportName}`);
  if (c.abi === "buffer") {
    lines.push(
      ...(target === "wasm"
        ? [`func ${c.exportName}(n int32) int32 {`, `\treturn dcm_call(n, dcmCall_${c.suffix})`, "}"]
        : [
            `func ${c.exportName}(ctx unsafe.Pointer, n C.int32_t) C.int32_t {`,
            `\treturn dcm_call(ctx, n, dcmCall_${c.suffix})`,
            "}",
          ]),
    );
    return lines.join("\n");
  }
  const named = codec.named;
  const params: string[] = target === "native" ? ["ctx unsafe.Pointer"] : [];
  const pre: string[] = [];
  const args: string[] = [];
  c.args.forEach((a, i) => {
    if (a.type.k === "vlist") throw new Error("dcm go generator: a variadic parameter in the scalar ABI");
    const abiType = scalarAbiType(a.type, named);
    params.push(`p${i} ${target === "wasm" ? abiType.wasm : abiType.native}`);
    const isBool = canonicalBasic(basicUnder(a.type, named)!) === "bool";
    const goType = codec.render(a.type);
    const expr = isBool
      ? a.type.k === "named"
        ? `${goType}(p${i} != 0)`
        : `p${i} != 0`
      : target === "wasm" && goType === abiType.wasm
        ? `p${i}`
        : `${goType}(p${i})`;
    if (a.addressOf) {
      pre.push(`\ta${i} := ${expr}`);
      args.push(`&a${i}`);
    } else args.push(expr);
  });
  const result = c.results[0];
  const resultType = result ? scalarAbiType(result, named) : undefined;
  const ret = resultType ? ` ${target === "wasm" ? resultType.wasm : resultType.native}` : "";
  lines.push(`func ${c.exportName}(${params.join(", ")})${ret} {`);
  lines.push(target === "wasm" ? "\tdcm_scalarBegin()" : "\tdcm_scalarBegin(ctx)");
  lines.push(target === "wasm" ? "\tdefer dcm_scalarRecover()" : "\tdefer dcm_scalarRecover(ctx)");
  lines.push(...pre);
  const call = callExpr(c, imports, args);
  if (!result || !resultType) lines.push(`\t${call}`);
  else if (canonicalBasic(basicUnder(result, named)!) === "bool") {
    lines.push(`\treturn dcm_b2i(${result.k === "named" ? `bool(${call})` : call})`);
  } else {
    const abiType = target === "wasm" ? resultType.wasm : resultType.native;
    lines.push(`\treturn ${result.k === "basic" && result.name === abiType ? call : `${abiType}(${call})`}`);
  }
  lines.push("}");
  return lines.join("\n");
}

export function renderBufferCall(c: CallPlan, codec: Codec, imports: ImportTable): string {
  const lines = [
    `// dcmCall_${c.suffix} decodes the arguments of fragment ${JSON.stringify(c.frag.id)}, calls it and encodes its results.`,
    `func dcmCall_${c.suffix}(d *dcm_dec, e *dcm_enc) {`,
  ];
  const args: string[] = [];
  c.args.forEach((a, i) => {
    lines.push(`\ta${i} := ${codec.dec(a.type)}`);
    args.push(a.addressOf ? `&a${i}` : a.variadic ? `a${i}...` : `a${i}`);
  });
  lines.push("\tif !d.done() {", "\t\treturn", "\t}");
  const call = callExpr(c, imports, args);
  const rs = c.results.map((_, i) => `r${i}`);
  if (c.hasError) {
    if (rs.length === 0) lines.push(`\tif err := ${call}; err != nil {`);
    else lines.push(`\t${[...rs, "err"].join(", ")} := ${call}`, "\tif err != nil {");
    lines.push("\t\te.fail(dcm_statusError, err.Error())", "\t\treturn", "\t}");
  } else if (rs.length === 0) {
    lines.push(`\t${call}`);
  } else {
    lines.push(`\t${rs.join(", ")} := ${call}`);
  }
  c.results.forEach((r, i) => {
    lines.push(`\t${codec.enc(r, `r${i}`)}`);
  });
  lines.push("}");
  return lines.join("\n");
}
