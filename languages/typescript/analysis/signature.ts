/**
 * A fragment declaration -> what kind of fragment it is and, for functions,
 * its value-model signature. Callable: `function f(…): T {…}`,
 * `const f = (…): T => …`, `const f = function (…): T {…}`, and a default
 * export of either. A `const f: (a: number) => number = (a) => …` takes its
 * types from the variable's annotation.
 *
 * Every parameter and the return type must be annotated; a tuple return type
 * `[A, B]` gives several results; `void` none. async functions, generators,
 * overloads and generics are refused.
 */
import type Parser from "tree-sitter";
import type { FragmentKind } from "../../../runtime/abi/manifest-types.js";
import type { Param, Signature, VType } from "../../../runtime/abi/value-types.js";
import type { LiftSpec } from "../ts-types.js";
import { type Mapped, optionalOf, type Problem, type TypeMapper } from "./map-types.js";
import type { TsDecl } from "./summarize.js";
import { lineOf } from "./ts-parser.js";

const FUNCTION_VALUES = new Set(["arrow_function", "function_expression", "function"]);

/** The function node of a callable declaration, or undefined for data (consts, variables). */
export function functionNode(d: TsDecl): Parser.SyntaxNode | undefined {
  if (d.kind === "function" || d.kind === "generator") return d.node;
  if (d.kind === "variable") {
    const v = unwrapExpr(d.node.childForFieldName("value"));
    return v && FUNCTION_VALUES.has(v.type) ? v : undefined;
  }
  if (d.kind === "default") {
    const v = unwrapExpr(d.node);
    return v && FUNCTION_VALUES.has(v.type) ? v : v?.type === "function_declaration" ? v : undefined;
  }
  return undefined;
}

export function fragmentKind(d: TsDecl): FragmentKind {
  if (functionNode(d)) return "function";
  if (d.kind === "variable") return d.keyword === "const" ? "const" : "variable";
  if (d.kind === "default") return "const";
  return "type";
}

export interface MappedSignature {
  signature: Signature;
  lift: LiftSpec[];
}

export function mapSignature(
  d: TsDecl,
  file: string,
  mapper: TypeMapper,
  problems: Problem[],
): MappedSignature | undefined {
  const fn = functionNode(d)!;
  const fail = (node: Parser.SyntaxNode, code: Problem["code"], message: string, suggestion?: string) => {
    const col = node.startPosition.column + 1;
    problems.push({ code, message, file, line: lineOf(node), col, ...(suggestion ? { suggestion } : {}) });
  };
  const before = problems.length;
  if (d.kind === "generator" || fn.children.some((c) => c.type === "*")) {
    fail(fn, "DCM_UNSUPPORTED_CONSTRUCT", "generator functions cannot be fragments", "return a list instead");
  }
  if (fn.children.some((c) => c.type === "async")) {
    fail(
      fn,
      "DCM_UNSUPPORTED_CONSTRUCT",
      "async functions cannot be fragments: fragment calls are synchronous",
      "remove `async` and return the value itself",
    );
  }
  if (fn.childForFieldName("type_parameters")) {
    fail(fn, "DCM_UNSUPPORTED_CONSTRUCT", "generic functions cannot be fragments", "use concrete types");
  }
  // The types of such functions would only add noise (`T` not found, `Promise` refused again).
  if (problems.length > before) return undefined;
  // `const f: (a: number) => number = (a) => …`: the annotation of the variable.
  const declared = d.kind === "variable" ? d.node.childForFieldName("type")?.namedChildren[0] : undefined;
  const fnType = declared?.type === "function_type" ? declared : undefined;

  const params: Param[] = [];
  const lift: LiftSpec[] = [];
  const formal = fn.childForFieldName("parameters")?.namedChildren ?? [];
  const typedFormal = fnType?.childForFieldName("parameters")?.namedChildren ?? [];
  let index = 0;
  for (const p of formal) {
    if (p.type !== "required_parameter" && p.type !== "optional_parameter") continue;
    const pattern = p.childForFieldName("pattern");
    if (pattern?.type === "this") continue;
    const rest = pattern?.type === "rest_pattern";
    const name = paramName(pattern, index);
    const typeNode = p.childForFieldName("type") ?? typedFormal[index]?.childForFieldName("type");
    index++;
    if (!typeNode) {
      fail(
        p,
        "DCM_UNSUPPORTED_CONSTRUCT",
        `parameter \`${name}\` has no type annotation`,
        `write \`${rest ? "..." : ""}${name}: <type>\` (every parameter and the return type need annotations)`,
      );
      continue;
    }
    let m: Mapped | undefined = mapper.map(typeNode, file, problems);
    if (!m) continue;
    if (rest && m.t.kind !== "list") {
      fail(p, "DCM_UNSUPPORTED_TYPE", `rest parameter \`${name}\` must be an array type`, `write \`...${name}: T[]\``);
      continue;
    }
    if (p.type === "optional_parameter") m = optionalOf(m, m.t.kind !== "optional");
    params.push({ name, type: m.t, ...(rest ? { variadic: true } : {}) });
    // A variadic parameter is spread by the codec: its spec is the element's.
    lift.push(rest && m.lift !== 0 ? (m.lift.list ?? 0) : m.lift);
  }

  const returnNode = fn.childForFieldName("return_type") ?? fnType?.childForFieldName("return_type");
  let results: VType[] = [];
  if (!returnNode) {
    fail(
      fn.childForFieldName("parameters") ?? fn,
      "DCM_UNSUPPORTED_CONSTRUCT",
      "the function has no return type annotation",
      "add `: <type>` after the parameter list (`: void` when it returns nothing)",
    );
  } else {
    results = mapResults(returnNode, file, mapper, problems) ?? [];
  }
  if (problems.length > before) return undefined;
  return { signature: { params, results, error: false }, lift };
}

function mapResults(node: Parser.SyntaxNode, file: string, mapper: TypeMapper, problems: Problem[]): VType[] | undefined {
  const t = node.type === "type_annotation" ? node.namedChildren[0] : node;
  if (!t) return undefined;
  if (t.type === "predefined_type" && (t.text === "void" || t.text === "undefined")) return [];
  if (t.type !== "tuple_type") {
    const m = mapper.map(t, file, problems);
    return m ? [m.t] : undefined;
  }
  const out: VType[] = [];
  let ok = true;
  for (const el of t.namedChildren) {
    let elem: Parser.SyntaxNode | null = el;
    if (el.type === "named_tuple_member") elem = el.childForFieldName("type");
    if (!elem || el.type === "optional_type" || el.type === "rest_type" || el.children.some((c) => c.type === "?")) {
      problems.push({
        code: "DCM_UNSUPPORTED_TYPE",
        message: `tuple element \`${el.text}\`: optional and rest elements are not supported in a result tuple`,
        file,
        line: lineOf(el),
      });
      ok = false;
      continue;
    }
    const m = mapper.map(elem, file, problems);
    if (m) out.push(m.t);
    else ok = false;
  }
  return ok ? out : undefined;
}

function paramName(pattern: Parser.SyntaxNode | null, index: number): string {
  if (!pattern) return `arg${index}`;
  if (pattern.type === "identifier") return pattern.text;
  if (pattern.type === "rest_pattern") {
    const id = pattern.namedChildren.find((c) => c.type === "identifier");
    return id?.text ?? `arg${index}`;
  }
  return `arg${index}`;
}

function unwrapExpr(n: Parser.SyntaxNode | null | undefined): Parser.SyntaxNode | undefined {
  let x = n ?? undefined;
  while (x && (x.type === "parenthesized_expression" || x.type === "as_expression" || x.type === "satisfies_expression")) {
    x = x.namedChildren[0];
  }
  return x;
}
