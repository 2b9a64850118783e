/**
 * The one tree-sitter-go parser of the process and the queries of
 * languages/go/queries (read from disk, so that the language's knowledge
 * stays data, helix-style).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Parser from "tree-sitter";
import Go from "tree-sitter-go";
import { projectRoot } from "../../../src/core/paths.js";
import type { Pos } from "./summary-types.js";

let parser: Parser | undefined;
const queries = new Map<string, Parser.Query>();

// tree-sitter-go's typings describe node-types metadata, not the Language handle the parser wants.
const language = Go as unknown as Parser.Language;

export function parseGo(text: string): Parser.Tree {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(language);
  }
  return parser.parse(text);
}

/** A compiled query from languages/go/queries/<name>.scm. */
export function goQuery(name: string): Parser.Query {
  let q = queries.get(name);
  if (!q) {
    const source = readFileSync(join(projectRoot(), "languages", "go", "queries", `${name}.scm`), "utf8");
    q = new Parser.Query(language, source);
    queries.set(name, q);
  }
  return q;
}

/** The first ERROR or MISSING node in document order; only subtrees flagged hasError are visited. */
export function firstSyntaxError(root: Parser.SyntaxNode): (Pos & { text: string }) | undefined {
  if (!root.hasError) return undefined;
  let node: Parser.SyntaxNode = root;
  for (;;) {
    if (node.type === "ERROR" || node.isMissing) {
      const text = node.isMissing ? `missing ${node.type}` : `unexpected \`${firstLine(node.text)}\``;
      return { line: node.startPosition.row + 1, col: node.startPosition.column + 1, text };
    }
    const next: Parser.SyntaxNode | undefined = node.children.find(
      (c) => c.hasError || c.isMissing || c.type === "ERROR",
    );
    if (!next) return { line: node.startPosition.row + 1, col: node.startPosition.column + 1, text: "syntax error" };
    node = next;
  }
}

function firstLine(text: string): string {
  const line = text.split("\n")[0] ?? "";
  return line.length > 40 ? `${line.slice(0, 40)}…` : line;
}
