/**
 * The one tree-sitter-rust parser of the process and the queries of
 * languages/rust/queries (read from disk: the language's knowledge stays data).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Parser from "tree-sitter";
import Rust from "tree-sitter-rust";
import { projectRoot } from "../../../src/core/paths.js";

let parser: Parser | undefined;
const queries = new Map<string, Parser.Query>();

// tree-sitter-rust's typings describe node-types metadata, not the Language handle the parser wants.
const language = Rust as unknown as Parser.Language;

export type Node = Parser.SyntaxNode;

export function parseRust(text: string): Parser.Tree {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(language);
  }
  return parser.parse(text);
}

/** A compiled query from languages/rust/queries/<name>.scm. */
export function rustQuery(name: string): Parser.Query {
  let q = queries.get(name);
  if (!q) {
    const source = readFileSync(join(projectRoot(), "languages", "rust", "queries", `${name}.scm`), "utf8");
    q = new Parser.Query(language, source);
    queries.set(name, q);
  }
  return q;
}

export interface SyntaxProblem {
  line: number;
  col: number;
  text: string;
}

/** The first ERROR or MISSING node in document order. */
export function firstSyntaxError(root: Node): SyntaxProblem | undefined {
  if (!root.hasError) return undefined;
  let node: Node = root;
  for (;;) {
    if (node.type === "ERROR" || node.isMissing) {
      const first = (node.text.split("\n")[0] ?? "").slice(0, 40);
      const text = node.isMissing ? `missing ${node.type}` : `unexpected \`${first}\``;
      return { line: node.startPosition.row + 1, col: node.startPosition.column + 1, text };
    }
    const next: Node | undefined = node.children.find((c) => c.hasError || c.isMissing || c.type === "ERROR");
    if (!next) return { line: node.startPosition.row + 1, col: node.startPosition.column + 1, text: "syntax error" };
    node = next;
  }
}

export const lineOf = (n: Node): number => n.startPosition.row + 1;
export const colOf = (n: Node): number => n.startPosition.column + 1;
