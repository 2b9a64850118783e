/**
 * Which uses of a module variable change it (languages/assemblyscript/analysis/state-vars.ts
 * isWrite): the statement `<expr>;` is parsed with the AssemblyScript grammar and the use of
 * `v` in it is classified.
 */
import { describe, expect, test } from "vitest";
import type Parser from "tree-sitter";
import { isWrite } from "../../../languages/assemblyscript/analysis/state-vars.js";
import { parseAs } from "../../../languages/assemblyscript/analysis/ts-parser.js";

function useOfV(stmt: string): Parser.SyntaxNode {
  const root = parseAs(stmt).rootNode;
  const found: Parser.SyntaxNode[] = [];
  const walk = (n: Parser.SyntaxNode) => {
    if (n.type === "identifier" && n.text === "v") found.push(n);
    for (const c of n.namedChildren) walk(c);
  };
  walk(root);
  expect(found, stmt).toHaveLength(1);
  return found[0]!;
}

describe("isWrite", () => {
  test.each([
    "v = 1;",
    "v += 2;",
    "v++;",
    "--v;",
    "v[3] = 1;",
    "v.count = 1;",
    "v.inner.list[2] = 7;",
    "v![0]++;",
    "(v as Foo).x = 1;",
    "v.push(1);",
    "v.set(\"k\", 1);",
    "v.inner.items.sort();",
    "v[0].tags.push(\"x\");",
    "v.clear();",
    "v.fill(0);",
  ])("%s changes v", (stmt) => {
    expect(isWrite(useOfV(stmt))).toBe(true);
  });

  test.each([
    "x = v;",
    "x = v.length;",
    "x = v[3];",
    "x = v.get(\"k\");",
    "x = v.has(1);",
    "f(v);",
    "x.push(v);",
    "x[v] = 1;",
    "x = v.join(\",\");",
    "x = v.slice(1);",
    "a.v = 1;",
  ])("%s only reads v", (stmt) => {
    const root = parseAs(stmt).rootNode;
    // `a.v`: v is a property there, not the variable: no identifier named v.
    const uses: Parser.SyntaxNode[] = [];
    const walk = (n: Parser.SyntaxNode) => {
      if (n.type === "identifier" && n.text === "v") uses.push(n);
      for (const c of n.namedChildren) walk(c);
    };
    walk(root);
    for (const u of uses) expect(isWrite(u), stmt).toBe(false);
  });
});
