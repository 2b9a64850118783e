
import { statSync } from "node:fs";
import { join, normalize, posix } from "node:path";
import type Parser from "tree-sitter";
import { asQuery, firstSyntaxError, parseAs, type SyntaxErr } from "./ts-parser.js";
import type { ParseCache } from "../../../src/languages/adapter-types.js";
import { RepoFiles } from "../../../src/languages/kit/analysis-kit.js";

export type DeclKind =
  | "function"
  | "method"
  | "class"
  | "variable"
  | "const"
  | "interface"
  | "alias"
  | "enum"
  | "ambient";

export interface AsDecl {
  kind: DeclKind;
  name: string;
  /** `name`, or `Class.method` for methods. */
  symbol: string;
  exported: boolean;
  line: number;
  endLine: number;
  /** function_declaration, method_definition, class_declaration, variable_declarator, … */
  node: Parser.SyntaxNode;
  className?: string;
  isStatic?: boolean;
}

export interface AsImport {
  /** The specifier as written. */
  spec: string;
  line: number;
  /** `import { a as b }`: imported a, local b. */
  names: Array<{ imported: string; local: string }>;
  /** `import * as ns`. */
  namespace?: string;
}

export interface FileSummary {
  file: string;
  decls: AsDecl[];
  imports: AsImport[];
  syntaxError?: SyntaxErr;
}

/** Relative module specifiers of `import … from "./x"` / `export … from "./x"` / `import "./x"`. */
const IMPORT_SCAN = /(?:\bfrom\s*|\bimport\s*)["'](\.{1,2}\/[^"'\n]+)["']/g;

export class AsWorkspace extends RepoFiles<FileSummary> {
  constructor(repo: string, cache?: ParseCache) {
    super(repo, "as", (file, text) => summarize(file, parseAs(text)), cache);
  }

  /** The repo-relative file a relative specifier names, or undefined (package import or missing file). */
  resolve(fromFile: string, spec: string): string | undefined {
    if (!spec.startsWith("./") && !spec.startsWith("../")) return undefined;
    const base = posix.normalize(posix.join(posix.dirname(fromFile), spec));
    if (base.startsWith("../")) return undefined;
    for (const c of [base.endsWith(".ts") ? base : `${base}.ts`, `${base}/index.ts`]) {
      if (isFile(join(this.repo, c))) return c;
    }
    return undefined;
  }

  /** The files reachable from `files` through relative imports, found by a text scan (no parsing). */
  sourceClosure(files: Iterable<string>): string[] {
    const seen = new Set<string>();
    const queue = [...files];
    while (queue.length) {
      const f = queue.pop()!;
      if (seen.has(f)) continue;
      let text: string;
      try {
        text = this.text(f);
      } catch {
        continue;
      }
      seen.add(f);
      for (const m of text.matchAll(IMPORT_SCAN)) {
        const r = this.resolve(f, m[1]!);
        if (r && !seen.has(r)) queue.push(r);
      }
    }
    return [...seen].sort();
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(normalize(p)).isFile();
  } catch {
    return false;
  }
}

export function line(n: Parser.SyntaxNode): number {
  return n.startPosition.row + 1;
}

export function col(n: Parser.SyntaxNode): number {
  return n.startPosition.column + 1;
}

function summarize(file: string, tree: Parser.Tree): FileSummary {
  const root = tree.rootNode;
  const decls: AsDecl[] = [];
  for (const m of asQuery("declarations").matches(root, { maxStartDepth: 0 })) {
    const exported = m.captures.some((c) => c.name === "export");
    for (const c of m.captures) {
      if (!c.name.startsWith("declaration.")) continue;
      decls.push(...declsOf(c.name.slice("declaration.".length), c.node, exported));
    }
  }
  const imports: AsImport[] = [];
  for (const m of asQuery("imports").matches(root, { maxStartDepth: 0 })) {
    const stmt = m.captures.find((c) => c.name === "import")!.node;
    const spec = m.captures.find((c) => c.name === "import.path")!.node.text;
    imports.push(importOf(stmt, spec));
  }
  const err = firstSyntaxError(root);
  return { file, decls, imports, ...(err ? { syntaxError: err } : {}) };
}

function declsOf(kind: string, node: Parser.SyntaxNode, exported: boolean): AsDecl[] {
  const base = (k: DeclKind, name: string, n: Parser.SyntaxNode): AsDecl => ({
    kind: k,
    name,
    symbol: name,
    exported,
    line: line(n),
    endLine: n.endPosition.row + 1,
    node: n,
  });
  const name = node.childForFieldName("name")?.text ?? "";
  switch (kind) {
    case "function":
      return [base("function", name, node)];
    case "ambient":
      return [base("ambient", name, node)];
    case "interface":
      return [base("interface", name, node)];
    case "alias":
      return [base("alias", name, node)];
    case "enum":
      return [base("enum", name, node)];
    case "lexical": {
      const k: DeclKind = node.children[0]?.text === "const" ? "const" : "variable";
      return node.namedChildren
        .filter((c) => c.type === "variable_declarator")
        .map((d) => base(k, d.childForFieldName("name")?.text ?? "", d));
    }
    case "class": {
      const out = [base("class", name, node)];
      for (const m of node.childForFieldName("body")?.namedChildren ?? []) {
        if (m.type !== "method_definition") continue;
        const mName = m.childForFieldName("name")?.text ?? "";
        if (mName === "constructor") continue;
        const d = base("method", mName, m);
        d.symbol = `${name}.${mName}`;
        d.className = name;
        d.isStatic = m.children.some((c) => c.type === "static");
        d.exported = exported;
        out.push(d);
      }
      return out;
    }
    default:
      return [];
  }
}

function importOf(stmt: Parser.SyntaxNode, spec: string): AsImport {
  const imp: AsImport = { spec, line: line(stmt), names: [] };
  const clause = stmt.namedChildren.find((c) => c.type === "import_clause" || c.type === "export_clause");
  const walk = (n: Parser.SyntaxNode) => {
    for (const c of n.namedChildren) {
      if (c.type === "namespace_import") imp.namespace = c.namedChildren[0]?.text ?? "";
      else if (c.type === "import_specifier" || c.type === "export_specifier") {
        const imported = c.childForFieldName("name")?.text ?? "";
        imp.names.push({ imported, local: c.childForFieldName("alias")?.text ?? imported });
      } else if (c.type === "named_imports") walk(c);
      else if (c.type === "identifier") imp.names.push({ imported: "default", local: c.text });
    }
  };
  if (clause) walk(clause);
  return imp;
}
