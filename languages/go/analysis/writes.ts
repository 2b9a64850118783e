/**
 * The package-level names a declaration may change (issue 12, state.ts):
 * the variable at the root of every assignment target, inc/dec, `&x`, and
 * the first argument of `delete`/`clear`/`copy`, locals excluded. Part of a
 * declaration's Refs, so it is kept in the cached summary with them.
 *
 * Known limitation: writes through a pointer copied into a local
 * (`p := x.ptr; p.f = 1`) are not seen (no type checker).
 */
import type Parser from "tree-sitter";
import type { LocalScopes } from "./scopes.js";
import type { WriteRef } from "./summary-types.js";

type Node = Parser.SyntaxNode;

const WRITERS = ["assignment_statement", "inc_statement", "dec_statement", "unary_expression", "call_expression"];
const MUTATING_BUILTINS = new Set(["delete", "clear", "copy"]);

export function declWrites(node: Node, locals: LocalScopes): WriteRef[] {
  const out = new Map<string, WriteRef>();
  const add = (target: Node | null | undefined) => {
    const r = target && rootOf(target);
    if (!r) return;
    // `pkg.X` may also be a field of a local or package var named `pkg`: state.ts decides.
    const head = r.pkg ?? r.name;
    if (locals.isLocal(head, r.node)) return;
    const w: WriteRef = r.pkg !== undefined ? { name: r.name, pkg: r.pkg } : { name: r.name };
    out.set(`${w.pkg ?? ""}.${w.name}`, w);
  };
  for (const n of node.descendantsOfType(WRITERS)) {
    switch (n.type) {
      case "assignment_statement":
        for (const t of n.childForFieldName("left")?.namedChildren ?? []) add(t);
        break;
      case "inc_statement":
      case "dec_statement":
        add(n.namedChildren[0]);
        break;
      case "unary_expression":
        if (n.childForFieldName("operator")?.text === "&") add(n.childForFieldName("operand"));
        break;
      case "call_expression": {
        const fn = n.childForFieldName("function");
        if (fn?.type === "identifier" && MUTATING_BUILTINS.has(fn.text) && !locals.isLocal(fn.text, fn)) {
          add(n.childForFieldName("arguments")?.namedChildren[0]);
        }
        break;
      }
    }
  }
  return [...out.values()];
}

/** The variable at the root of an assignable expression: `x`, `x.f[i].g`, `*x`, `pkg.X.f`. */
function rootOf(e: Node): { name: string; pkg?: string; node: Node } | undefined {
  let cur: Node | null = e;
  let selector: Node | undefined;
  for (let i = 0; cur && i < 64; i++) {
    switch (cur.type) {
      case "identifier":
        if (selector) return { name: selector.childForFieldName("field")?.text ?? "", pkg: cur.text, node: cur };
        return { name: cur.text, node: cur };
      case "selector_expression":
        selector = cur;
        cur = cur.childForFieldName("operand");
        continue;
      case "index_expression":
      case "slice_expression":
        selector = undefined;
        cur = cur.childForFieldName("operand");
        continue;
      case "parenthesized_expression":
        cur = cur.namedChildren[0] ?? null;
        continue;
      case "unary_expression":
        if (cur.childForFieldName("operator")?.text !== "*") return undefined;
        selector = undefined;
        cur = cur.childForFieldName("operand");
        continue;
      default:
        return undefined;
    }
  }
  return undefined;
}
