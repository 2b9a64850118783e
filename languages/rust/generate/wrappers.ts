/**
 * Rust source the generator appends to the user's files: one export per
 * fragment (in the fragment's own file, so that private functions and
 * private fields stay reachable) and DcmEnc/DcmDec impls per struct and
 * data-less enum (in the type's own file). Argument types are left to
 * inference where possible, so no type has to be named from outside its
 * module.
 */
import type { AnalyzedFragment } from "../../../src/languages/adapter-types.js";
import type { RustFragmentDetail, RustNamedType, RustType } from "../rust-types.js";
import type { RustTarget } from "./build-spec.js";

const ABI = "crate::zz_dcm_abi";

export function noMangle(edition: string): string {
  return Number(edition) >= 2024 ? "#[unsafe(no_mangle)]" : "#[no_mangle]";
}

/**
 * The wasm-bindgen form of the ABI exports in `text`: each
 * `<no_mangle>\npub extern "C" fn name(` becomes
 * `#[wasm_bindgen(js_name = name)]\npub fn name(`. Signatures are numeric
 * only, so the module's raw export `name` keeps the ABI signature.
 */
export function bindgenExports(text: string, edition: string): string {
  const attr = noMangle(edition).replace(/[[\]()]/g, "\\$&");
  return text.replace(
    new RegExp(`${attr}\\npub extern "C" fn (\\w+)\\(`, "g"),
    (_m, name: string) => `#[::wasm_bindgen::prelude::wasm_bindgen(js_name = ${name})]\npub fn ${name}(`,
  );
}

/** Owned type to decode a reference parameter into, or undefined to let inference pick it. */
function ownedAnnotation(t: RustType): string | undefined {
  if (t.k !== "ref") return undefined;
  if (t.inner.k === "prim" && t.inner.name === "str") return "::std::string::String";
  if (t.inner.k === "slice") return "::std::vec::Vec<_>";
  return undefined;
}

const SCALAR_PRIMS: Record<string, { c: string; from: (v: string) => string; to: (v: string) => string }> = {
  bool: { c: "i32", from: (v) => `${v} != 0`, to: (v) => `${v} as i32` },
  i8: { c: "i32", from: (v) => `${v} as i8`, to: (v) => `${v} as i32` },
  i16: { c: "i32", from: (v) => `${v} as i16`, to: (v) => `${v} as i32` },
  i32: { c: "i32", from: (v) => v, to: (v) => v },
  i64: { c: "i64", from: (v) => v, to: (v) => v },
  u8: { c: "u32", from: (v) => `${v} as u8`, to: (v) => `${v} as u32` },
  u16: { c: "u32", from: (v) => `${v} as u16`, to: (v) => `${v} as u32` },
  u32: { c: "u32", from: (v) => v, to: (v) => v },
  u64: { c: "u64", from: (v) => v, to: (v) => v },
  f32: { c: "f32", from: (v) => v, to: (v) => v },
  f64: { c: "f64", from: (v) => v, to: (v) => v },
};

function scalarPrim(t: RustType): { prim: (typeof SCALAR_PRIMS)[string]; ref: boolean; mut: boolean } {
  const ref = t.k === "ref";
  const base = t.k === "ref" ? t.inner : t;
  if (base.k !== "prim" || !SCALAR_PRIMS[base.name]) throw new Error(`dcm rust generator: ${JSON.stringify(t)} is not scalar`);
  return { prim: SCALAR_PRIMS[base.name]!, ref, mut: t.k === "ref" && t.mut };
}

/** The call expression of the fragment, given the argument expressions (receiver first). */
function callExpr(d: RustFragmentDetail, args: string[]): string {
  if (!d.impl) return `${d.funcName}(${args.join(", ")})`;
  return `<${d.impl.typeText}>::${d.funcName}(${args.join(", ")})`;
}

export function renderWrapper(
  frag: AnalyzedFragment,
  d: RustFragmentDetail,
  exportName: string,
  target: RustTarget,
  edition: string,
): string {
  const head = [`// dcm: export of fragment ${JSON.stringify(frag.id)} (${frag.symbol})`, "#[allow(non_snake_case, unused_mut, unused_parens, clippy::all)]", noMangle(edition)];
  return frag.abi === "scalar"
    ? [...head, ...scalarWrapper(d, exportName, target)].join("\n")
    : [...head, ...bufferWrapper(d, exportName, target)].join("\n");
}

function scalarWrapper(d: RustFragmentDetail, name: string, target: RustTarget): string[] {
  const params = d.params.map((p, i) => ({ p, s: scalarPrim(p.type), v: `p${i}` }));
  const cParams = params.map((x) => `${x.v}: ${x.s.prim.c}`);
  if (target === "native") cParams.unshift(`ctx: *mut ${ABI}::Ctx`);
  const args = params.map((x) => {
    const v = x.s.prim.from(x.v);
    return x.s.ref ? `${x.s.mut ? "&mut" : "&"} (${v})` : v;
  });
  const result = d.results[0];
  const r = result ? scalarPrim(result) : undefined;
  const call = callExpr(d, args);
  const body = r ? r.prim.to(`(${r.ref ? `*${call}` : call})`) : `{ ${call}; }`;
  const ret = r ? ` -> ${r.prim.c}` : "";
  const runner = target === "native" ? `${ABI}::scalar(ctx, move || ${body})` : `${ABI}::scalar(move || ${body})`;
  return [`pub extern "C" fn ${name}(${cParams.join(", ")})${ret} {`, `    ${runner}`, "}", ""];
}

function bufferWrapper(d: RustFragmentDetail, name: string, target: RustTarget): string[] {
  const sig = target === "native" ? `ctx: *mut ${ABI}::Ctx, len: i32` : "len: i32";
  const runner = target === "native" ? `${ABI}::call(ctx, len, |d, e| {` : `${ABI}::call(len, |d, e| {`;
  const lines = [`pub extern "C" fn ${name}(${sig}) -> i32 {`, `    ${runner}`];
  const args: string[] = [];
  if (d.impl && d.impl.self !== "none") {
    lines.push(`        let mut a_self = ${ABI}::arg(d, "self")?;`);
    args.push(d.impl.self === "ref" ? "&a_self" : d.impl.self === "mut" ? "&mut a_self" : "a_self");
  }
  d.params.forEach((p, i) => {
    const ann = ownedAnnotation(p.type);
    lines.push(`        let mut a${i}${ann ? `: ${ann}` : ""} = ${ABI}::arg(d, ${JSON.stringify(p.name)})?;`);
    args.push(p.type.k === "ref" ? `${p.type.mut ? "&mut " : "&"}a${i}` : `a${i}`);
  });
  lines.push(`        ${ABI}::end(d)?;`);
  const call = callExpr(d, args);
  const encode = (v: string): string[] => {
    if (d.results.length === 0) return [];
    if (!d.tupleResult) return [`${ABI}::enc(&${v}, e);`];
    return d.results.map((_, i) => `${ABI}::enc(&${v}.${i}, e);`);
  };
  if (d.hasError) {
    lines.push(`        match ${call} {`);
    lines.push(`            Ok(r) => {`);
    lines.push(...encode("r").map((l) => `                ${l}`));
    lines.push("            }");
    lines.push(`            Err(err) => e.fail(${ABI}::STATUS_ERROR, &::std::string::ToString::to_string(&err)),`);
    lines.push("        }");
  } else if (d.results.length === 0) {
    lines.push(`        ${call};`);
  } else {
    lines.push(`        let r = ${call};`);
    lines.push(...encode("r").map((l) => `        ${l}`));
  }
  lines.push("        Ok(())", "    })", "}", "");
  return lines;
}

/** DcmEnc/DcmDec for a struct (fields in order) or a data-less enum (its variant names as strings). */
export function renderTypeImpls(n: RustNamedType): string {
  const head = `// dcm: wire encoding of ${n.name}`;
  const allow = "#[allow(unused_variables, clippy::all)]";
  if (n.kind === "enum") {
    const variants = n.variants ?? [];
    const expected = variants.map((v) => v.wire).join(", ");
    return [
      head,
      allow,
      `impl ${ABI}::DcmEnc for ${n.name} {`,
      `    fn dcm_enc(&self, e: &mut ${ABI}::Enc) {`,
      `        e.str(match self {`,
      ...variants.map((v) => `            ${n.name}::${v.name} => ${JSON.stringify(v.wire)},`),
      "        })",
      "    }",
      "}",
      allow,
      `impl ${ABI}::DcmDec for ${n.name} {`,
      `    fn dcm_dec(d: &mut ${ABI}::Dec) -> ${ABI}::DResult<Self> {`,
      `        let s: ::std::string::String = ${ABI}::DcmDec::dcm_dec(d)?;`,
      "        match s.as_str() {",
      ...variants.map((v) => `            ${JSON.stringify(v.wire)} => Ok(${n.name}::${v.name}),`),
      `            _ => Err(format!(": unknown ${n.name} variant {:?} (expected one of: ${expected})", s)),`,
      "        }",
      "    }",
      "}",
      "",
    ].join("\n");
  }
  const fields = n.fields ?? [];
  const build = n.unit
    ? `Ok(${n.name})`
    : [
        `Ok(${n.name} {`,
        ...fields.map(
          (f) =>
            `            ${f.name}: ${ABI}::DcmDec::dcm_dec(d).map_err(|m| format!(".{}{}", ${JSON.stringify(f.jsonName)}, m))?,`,
        ),
        "        })",
      ].join("\n");
  return [
    head,
    allow,
    `impl ${ABI}::DcmEnc for ${n.name} {`,
    `    fn dcm_enc(&self, e: &mut ${ABI}::Enc) {`,
    ...fields.map((f) => `        ${ABI}::DcmEnc::dcm_enc(&self.${f.name}, e);`),
    "    }",
    "}",
    allow,
    `impl ${ABI}::DcmDec for ${n.name} {`,
    `    fn dcm_dec(d: &mut ${ABI}::Dec) -> ${ABI}::DResult<Self> {`,
    `        ${build}`,
    "    }",
    "}",
    "",
  ].join("\n");
}
