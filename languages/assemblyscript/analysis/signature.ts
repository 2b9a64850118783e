/**
 * A function or method declaration -> AsFragmentDetail, or the problems that
 * keep it from crossing the boundary (generic functions, rest parameters,
 * missing annotations, unsupported types).
 */
import type Parser from "tree-sitter";
import type { AsFragmentDetail } from "../as-types.js";
import type { Problem, TypeMapper } from "./map-types.js";
import { type AsDecl, col, line } from "./workspace.js";

export function mapFunction(decl: AsDecl, file: string, mapper: TypeMapper, problems: Problem[]): AsFragmentDetail {
  const problemsBefore = problems.length;
  const n = decl.node;
  const pos = (x: Parser.SyntaxNode) => ({ file, line: line(x), col: col(x) });
  const detail: AsFragmentDetail = { file, funcName: decl.name, params: [], result: null };
  if (decl.kind === "method") {
    if (decl.isStatic) detail.isStatic = true;
    else {
      const owner = mapper.lookup(decl.className!, file);
      const recv = owner && mapper.map(owner.decl.node.childForFieldName("name")!, file, problems);
      if (recv?.k === "class") detail.receiver = recv.key;
    }
    const mod = n.children.find((c) => c.type === "accessibility_modifier");
    if (mod && mod.text !== "public")
      problems.push({
        code: "DCM_UNSUPPORTED_CONSTRUCT",
        message: `${mod.text} method at line ${line(n)}`,
        pos: pos(n),
      });
    if (n.children.some((c) => c.type === "get" || c.type === "set"))
      problems.push({
        code: "DCM_UNSUPPORTED_CONSTRUCT",
        message: `accessor \`${decl.symbol}\` at line ${line(n)} (getters and setters are not fragments)`,
        pos: pos(n),
      });
  }
  const tps = n.childForFieldName("type_parameters");
  if (tps) {
    problems.push({
      code: "DCM_UNSUPPORTED_CONSTRUCT",
      message: `generic function \`${decl.symbol}${tps.text}\` at line ${line(n)}: a fragment needs concrete types`,
      pos: pos(tps),
      suggestion: "export a non-generic wrapper that calls it with concrete types, and name that in the CFD",
    });
  }
  for (const p of n.childForFieldName("parameters")?.namedChildren ?? []) {
    if (p.type !== "required_parameter" && p.type !== "optional_parameter") continue;
    const pat = p.childForFieldName("pattern");
    const name = pat?.text ?? "";
    if (pat?.type === "rest_pattern") {
      problems.push({
        code: "DCM_UNSUPPORTED_CONSTRUCT",
        message: `rest parameter \`${name}\` at line ${line(p)}`,
        pos: pos(p),
        suggestion: "take an array parameter instead",
      });
      continue;
    }
    if (p.type === "optional_parameter" && !p.childForFieldName("value")) {
      problems.push({
        code: "DCM_UNSUPPORTED_CONSTRUCT",
        message: `optional parameter \`${name}?\` at line ${line(p)} without a default value`,
        pos: pos(p),
      });
      continue;
    }
    const t = p.childForFieldName("type");
    if (!t) {
      problems.push({
        code: "DCM_UNSUPPORTED_CONSTRUCT",
        message: `parameter \`${name}\` at line ${line(p)} has no type annotation`,
        pos: pos(p),
        suggestion: `write \`${name}: <type>\``,
      });
      continue;
    }
    const at = mapper.map(t, file, problems);
    if (at) detail.params.push({ name, type: at });
  }
  const rt = n.childForFieldName("return_type");
  if (!rt) {
    problems.push({
      code: "DCM_UNSUPPORTED_CONSTRUCT",
      message: `\`${decl.symbol}\` at line ${line(n)} has no return type annotation`,
      pos: pos(n),
      suggestion: "write the return type, e.g. `: i32` or `: void`",
    });
  } else if (rt.namedChildren[0]?.text !== "void") {
    detail.result = mapper.map(rt, file, problems) ?? null;
  }
  // A generic function is refused once; its type parameters are not also "types not found".
  if (tps) {
    const own = tps.namedChildren.map((c) => (c.childForFieldName("name") ?? c).text);
    for (let k = problems.length - 1; k >= problemsBefore; k--) {
      const p = problems[k]!;
      if (p.code === "DCM_TYPE_NOT_FOUND" && own.some((t) => p.message.includes(`type \`${t}\``))) problems.splice(k, 1);
    }
  }
  return detail;
}
