/**
 * A function or method declaration -> GoFragmentDetail (Go-level parameter
 * and result types), with the problems that keep it from crossing the
 * boundary. The value-model Signature is derived later (vtypes.ts).
 */
import type { GoFragmentDetail, GoPackageRef, GoType } from "../go-types.js";
import type { FileCtx, Problem, TypeMapper } from "./map-types.js";
import type { Decl } from "./summary-types.js";

export interface MappedFunc {
  detail: GoFragmentDetail;
  /** Name of the receiver parameter in the Signature ("recv" when unnamed). */
  receiverName: string;
  /** Every GoType of the signature, receiver included (for reachability). */
  types: GoType[];
}

export function mapFunc(decl: Decl, ctx: FileCtx, pkg: GoPackageRef, mapper: TypeMapper, out: Problem[]): MappedFunc {
  const detail: GoFragmentDetail = { pkg, funcName: decl.name, params: [], results: [], hasError: false };
  const types: GoType[] = [];
  const at = (p: { line: number; col: number }) => ({ file: ctx.file, line: p.line, col: p.col });
  const fn = decl.func ?? { params: [], results: [] };

  if (fn.typeParams) {
    out.push({
      code: "DCM_UNSUPPORTED_CONSTRUCT",
      message: `generic function \`${decl.name}\` (type parameters)`,
      pos: at(fn.typeParams),
      suggestion: "write a non-generic wrapper with concrete types and make it the fragment",
    });
    // Its parameter types mention type parameters; reporting each as not found would only be noise.
    return { detail, receiverName: "recv", types };
  }
  let receiverName = "recv";
  if (decl.recv) {
    const r = decl.recv;
    if (r.name) receiverName = r.name;
    detail.receiver = { typeName: r.typeName, pointer: r.pointer };
    if (r.generic) {
      out.push({
        code: "DCM_UNSUPPORTED_CONSTRUCT",
        message: `method of the generic type \`${r.typeName}\``,
        pos: at(r.pos),
        suggestion: "write a non-generic wrapper function with concrete types and make it the fragment",
      });
    } else {
      const t = mapper.map(
        { k: "name", name: r.typeName, pos: r.pos },
        ctx,
        { role: "receiver", name: receiverName },
        out,
      );
      if (t) types.push(t);
    }
  }

  fn.params.forEach((p, i) => {
    const name = p.name && p.name !== "_" ? p.name : `arg${i}`;
    const site = { role: "parameter" as const, ...(p.name ? { name: p.name } : {}) };
    const elem = mapper.map(p.type, ctx, site, out);
    if (!elem) return;
    const type: GoType = p.variadic ? { k: "slice", elem } : elem;
    types.push(type);
    detail.params.push({ name, type, variadic: p.variadic });
  });

  const results = [...fn.results];
  const last = results[results.length - 1];
  if (last && last.type.k === "name" && last.type.name === "error") {
    detail.hasError = true;
    results.pop();
  }
  for (const r of results) {
    const t = mapper.map(r.type, ctx, { role: "result", ...(r.name ? { name: r.name } : {}) }, out);
    if (t) {
      types.push(t);
      detail.results.push(t);
    }
  }
  return { detail, receiverName, types };
}
