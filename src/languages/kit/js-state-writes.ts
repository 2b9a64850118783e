/**
 * What changes a module variable in TypeScript-syntax languages
 * (TypeScript and AssemblyScript share the tree-sitter-typescript grammar):
 * the state analyses of both ask `isWrite` of every reference to a module
 * variable (languages/<id>/analysis/state-vars.ts, docs/state.md).
 *
 * Known limitations: by syntax only — a method that changes its receiver
 * counts only when its name is in MUTATORS; aliases are not followed.
 */
import type Parser from "tree-sitter";

/** Methods that change the array, typed array, Map, Set or object they are called on. */
export const MUTATORS: ReadonlySet<string> = new Set([
  "push",
  "pop",
  "shift",
  "unshift",
  "splice",
  "set",
  "delete",
  "clear",
  "add",
  "sort",
  "reverse",
  "fill",
  "copyWithin",
]);

/** Expressions that pass their operand's identity through (`(x)`, `x!`, `x as T`, `<T>x`, `x satisfies T`). */
const TRANSPARENT: ReadonlySet<string> = new Set([
  "parenthesized_expression",
  "non_null_expression",
  "as_expression",
  "type_assertion",
  "satisfies_expression",
]);

export function sameNode(a: Parser.SyntaxNode | null | undefined, b: Parser.SyntaxNode): boolean {
  return !!a && a.startIndex === b.startIndex && a.endIndex === b.endIndex && a.type === b.type;
}

/** Whether the reference at `ref` changes the variable or something reached through it. */
export function isWrite(ref: Parser.SyntaxNode): boolean {
  let n = ref;
  let p = n.parent;
  while (p) {
    if (TRANSPARENT.has(p.type)) {
      n = p;
      p = p.parent;
      continue;
    }
    if (
      (p.type === "member_expression" || p.type === "subscript_expression") &&
      sameNode(p.childForFieldName("object"), n)
    ) {
      const call = p.parent;
      if (
        p.type === "member_expression" &&
        call?.type === "call_expression" &&
        sameNode(call.childForFieldName("function"), p) &&
        MUTATORS.has(p.childForFieldName("property")?.text ?? "")
      ) {
        return true;
      }
      n = p;
      p = p.parent;
      continue;
    }
    break;
  }
  if (!p) return false;
  if (
    (p.type === "assignment_expression" || p.type === "augmented_assignment_expression") &&
    sameNode(p.childForFieldName("left"), n)
  )
    return true;
  if (p.type === "unary_expression" && p.child(0)?.type === "delete") return n !== ref;
  return p.type === "update_expression";
}
