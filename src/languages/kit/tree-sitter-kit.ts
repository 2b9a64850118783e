/**
 * What every adapter's analysis needs from tree-sitter, written once: one
 * parser per grammar per process, the grammar's queries read from
 * `languages/<id>/queries/<name>.scm` (the language's knowledge stays data,
 * helix-style), and the first syntax error of a tree for DCM_SOURCE_SYNTAX.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type Parser from "tree-sitter";
import { projectRoot } from "../../core/paths.js";

// tree-sitter and the grammars are native addons (~20 ms to load): loaded on the first parse or query,
// so that an analysis answered from the parse cache, or a command that parses nothing, never loads them.
let treeSitter: typeof Parser | undefined;
const TreeSitter = (): typeof Parser => (treeSitter ??= createRequire(import.meta.url)("tree-sitter") as typeof Parser);

export type Node = Parser.SyntaxNode;

export interface Grammar {
  parse(text: string): Parser.Tree;
  /** The compiled query languages/<languageDir>/queries/<name>.scm (compiled once). */
  query(name: string): Parser.Query;
}

/**
 * A grammar from the loader of its tree-sitter-<lang> package, called on first
 * use (the package's typings describe node-type metadata, not the Language
 * handle, hence `unknown`).
 */
export function grammar(load: () => unknown, languageDir: string): Grammar {
  let handle: Parser.Language | undefined;
  const language = (): Parser.Language => (handle ??= load() as Parser.Language);
  let parser: Parser | undefined;
  const queries = new Map<string, Parser.Query>();
  return {
    parse(text) {
      if (!parser) {
        parser = new (TreeSitter())();
        parser.setLanguage(language());
      }
      // Large files: the default 32 KiB buffer makes tree-sitter call back many times.
      return parser.parse(text, undefined, { bufferSize: Math.max(32 * 1024, text.length * 2 + 1) });
    },
    query(name) {
      let q = queries.get(name);
      if (!q) {
        const source = readFileSync(join(projectRoot(), "languages", languageDir, "queries", `${name}.scm`), "utf8");
        q = new (TreeSitter().Query)(language(), source);
        queries.set(name, q);
      }
      return q;
    },
  };
}

export interface SyntaxProblem {
  /** 1-based. */
  line: number;
  col: number;
  text: string;
}

/** The first ERROR or MISSING node in document order; only subtrees flagged hasError are visited. */
export function firstSyntaxError(root: Node): SyntaxProblem | undefined {
  if (!root.hasError) return undefined;
  let node: Node = root;
  for (;;) {
    if (node.type === "ERROR" || node.isMissing) {
      const text = node.isMissing ? `missing ${node.type}` : `unexpected \`${firstLine(node.text)}\``;
      return { line: node.startPosition.row + 1, col: node.startPosition.column + 1, text };
    }
    const next: Node | undefined = node.children.find((c) => c.hasError || c.isMissing || c.type === "ERROR");
    if (!next) return { line: node.startPosition.row + 1, col: node.startPosition.column + 1, text: "syntax error" };
    node = next;
  }
}

function firstLine(text: string): string {
  const line = text.split("\n")[0] ?? "";
  return line.length > 40 ? `${line.slice(0, 40)}…` : line;
}

export const lineOf = (n: Node): number => n.startPosition.row + 1;
export const colOf = (n: Node): number => n.startPosition.column + 1;
