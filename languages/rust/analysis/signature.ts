/**
 * A function or method declaration → RustFragmentDetail, refusing what
 * cannot be called through the boundary (generic, async and unsafe
 * functions, explicit lifetimes, typed `self`), each with its line.
 */
import type { RustFragmentDetail, RustParam, RustType } from "../rust-types.js";
import type { FileCtx, Problem, TypeMapper } from "./map-types.js";
import { colOf, lineOf, type Node } from "./rust-parser.js";
import { baseTypeName, type Decl, pathSegments } from "./workspace.js";

export interface MappedFunc {
  detail: RustFragmentDetail;
  /** The value-model receiver parameter's type (methods taking self). */
  receiver?: RustType;
}

export function mapFunc(decl: Decl, ctx: FileCtx, mapper: TypeMapper, problems: Problem[]): MappedFunc {
  const problemsBefore = problems.length;
  const fn = decl.node;
  const refuse = (n: Node, what: string, suggestion?: string) =>
    problems.push({
      code: "DCM_UNSUPPORTED_CONSTRUCT",
      message: `${what} (line ${lineOf(n)})`,
      pos: { file: ctx.file, line: lineOf(n), col: colOf(n) },
      ...(suggestion ? { suggestion } : {}),
    });

  const mods = fn.children.find((c) => c.type === "function_modifiers");
  for (const m of mods?.text.split(/\s+/) ?? []) {
    if (m === "async") refuse(mods!, "async functions cannot be fragments", "make the function synchronous");
    if (m === "unsafe") refuse(mods!, "unsafe functions cannot be fragments", "wrap the unsafe code in a safe function");
    if (m === "extern") refuse(mods!, "extern functions cannot be fragments");
  }
  const tparams = fn.childForFieldName("type_parameters");
  if (tparams) {
    const onlyLifetimes = tparams.namedChildren.every((c) => c.type === "lifetime" || c.type === "lifetime_parameter");
    if (onlyLifetimes)
      refuse(tparams, "explicit lifetimes in a signature are not supported", "let the lifetimes be elided, or take owned values");
    else refuse(tparams, "generic functions cannot be fragments", "write a non-generic wrapper function with concrete types");
  }
  const where = fn.children.find((c) => c.type === "where_clause");
  if (where) refuse(where, "generic functions (`where` clauses) cannot be fragments");

  let impl: RustFragmentDetail["impl"];
  let receiver: RustType | undefined;
  if (decl.implType) {
    const typeText = decl.implType.text;
    const implCtx: FileCtx = { ...ctx };
    const selfType = mapper.map(decl.implType, ctx, "field", problems);
    if (selfType) implCtx.self = { text: typeText, type: selfType };
    Object.assign(ctx, { self: implCtx.self });
    impl = {
      typeText,
      typeKey: selfType?.k === "named" ? selfType.key : baseTypeName(decl.implType),
      self: "none",
    };
  }

  const params: RustParam[] = [];
  const paramsNode = fn.childForFieldName("parameters");
  let i = 0;
  for (const p of paramsNode?.namedChildren ?? []) {
    if (p.type === "self_parameter") {
      if (p.namedChildren.some((c) => c.type === "lifetime"))
        refuse(p, "explicit lifetimes in a signature are not supported", "write `&self`");
      const byRef = p.text.trimStart().startsWith("&");
      const mut = p.namedChildren.some((c) => c.type === "mutable_specifier");
      if (impl) impl.self = byRef ? (mut ? "mut" : "ref") : "value";
      receiver = ctx.self?.type;
      continue;
    }
    if (p.type !== "parameter") {
      refuse(p, `this parameter form (\`${p.text}\`) is not supported`);
      continue;
    }
    const pat = p.childForFieldName("pattern");
    const typeNode = p.childForFieldName("type")!;
    if (pat?.text === "self" || pat?.text === "mut self") {
      refuse(p, "typed `self` parameters are not supported", "write `self`, `&self` or `&mut self`");
      continue;
    }
    const name = paramName(pat, i);
    i++;
    const t = mapper.map(typeNode, ctx, "param", problems);
    if (t) params.push({ name, type: t });
  }

  const results: RustType[] = [];
  let hasError = false;
  let tupleResult = false;
  let ret = fn.childForFieldName("return_type");
  if (ret?.type === "generic_type") {
    const segs = pathSegments(ret.childForFieldName("type")!);
    const args = ret.childForFieldName("type_arguments")?.namedChildren ?? [];
    if (segs[segs.length - 1] === "Result" && (segs.length === 1 || ["std", "core"].includes(segs[0]!))) {
      if (args.length !== 2) {
        refuse(ret, "`Result` must be written with both its types (`Result<T, E>`)", "write `Result<T, E>` instead of an alias");
        ret = null;
      } else {
        hasError = true;
        ret = args[0]!;
      }
    }
  }
  if (ret?.type === "tuple_type") {
    tupleResult = true;
    for (const e of ret.namedChildren) {
      const t = mapper.map(e, ctx, "result", problems);
      if (t) results.push(t);
    }
  } else if (ret && ret.type !== "unit_type" && !(ret.type === "primitive_type" && ret.text === "!")) {
    const t = mapper.map(ret, ctx, "result", problems);
    if (t && t.k === "ref" && t.mut) refuse(ret, "`&mut` results are not supported", "return an owned value");
    if (t) results.push(t);
  }
  delete ctx.self;

  // A generic function is refused once; its type parameters are not also "types not found".
  if (tparams) dropTypeParamsNotFound(problems, problemsBefore, tparams.namedChildren.map((c) => (c.childForFieldName("name") ?? c).text));
  return {
    detail: {
      file: ctx.file,
      modPath: ctx.modPath,
      funcName: decl.name,
      ...(impl ? { impl } : {}),
      params,
      results,
      tupleResult,
      hasError,
    },
    ...(receiver ? { receiver } : {}),
  };
}

function paramName(pat: Node | null, i: number): string {
  if (!pat) return `arg${i}`;
  const id = pat.type === "identifier" ? pat : pat.type === "mut_pattern" ? pat.namedChildren.find((c) => c.type === "identifier") : undefined;
  return !id || id.text === "_" ? `arg${i}` : id.text;
}

/** Removes, from the problems this function added, DCM_TYPE_NOT_FOUND reports about its own type parameters. */
function dropTypeParamsNotFound(problems: Problem[], from: number, names: string[]): void {
  const own = names.filter((n) => n !== "");
  for (let i = problems.length - 1; i >= from; i--) {
    const p = problems[i]!;
    if (p.code === "DCM_TYPE_NOT_FOUND" && own.some((n) => p.message.includes(`type \`${n}\``))) problems.splice(i, 1);
  }
}
