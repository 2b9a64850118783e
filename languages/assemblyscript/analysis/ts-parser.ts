/**
 * The one tree-sitter parser for AssemblyScript (tree-sitter-typescript's
 * `typescript` grammar: AssemblyScript is TypeScript syntax) and the queries
 * of languages/assemblyscript/queries, read from disk so that the language's
 * knowledge stays data.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Parser from "tree-sitter";
import TypeScript from "tree-sitter-typescript";
import { projectRoot } from "../../../src/core/paths.js";

let parser: Parser | undefined;
const queries = new Map<string, Parser.Query>();

// The package's typings describe node-types metadata, not the Language handle the parser wants.
const language = (TypeScript as unknown as { typescript: Parser.Language }).typescript;

export function parseAs(text: string): Parser.Tree {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(language);
  }
  // Large files need a buffer bigger than the default 32 KiB chunk.
  return parser.parse(text, undefined, { bufferSize: Math.max(32 * 1024, text.length * 2 + 1) });
}

/** A compiled query from languages/assemblyscript/queries/<name>.scm. */
export function asQuery(name: string): Parser.Query {
  let q = queries.get(name);
  if (!q) {
    const source = readFileSync(join(projectRoot(), "languages", "assemblyscript", "queries", `${name}.scm`), "utf8");
    q = new Parser.Query(language, source);
    queries.set(name, q);
  }
  return q;
}

export interface SyntaxErr {
  line: number;
  col: number;
  text: string;
}

/** The first ERROR or MISSING node in document order; only subtrees flagged hasError are visited. */
export function firstSyntaxError(root: Parser.SyntaxNode): SyntaxErr | undefined {
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
