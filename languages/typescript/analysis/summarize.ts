/**
 * One TypeScript file -> its top-level declarations, imports and export
 * lists (queries/declarations.scm, queries/imports.scm). The tree is kept:
 * signature mapping walks the declarations' type nodes.
 *
 * Known limitations: `export =`, `declare` blocks, namespaces and
 * `import x = require()` are not read; a name exported twice keeps both names.
 */
import type Parser from "tree-sitter";
import { firstSyntaxError, lineOf, parseTs, type SyntaxProblem, tsQuery } from "./ts-parser.js";

export type DeclKind =
  | "function"
  | "generator"
  | "overload"
  | "variable"
  | "interface"
  | "alias"
  | "enum"
  | "class"
  | "default";

export interface TsDecl {
  kind: DeclKind;
  /** Declared name; `default` for an anonymous default export. */
  name: string;
  /** The declaration node (function_declaration, variable_declarator, interface_declaration…). */
  node: Parser.SyntaxNode;
  /** Names this declaration is exported under from its file (`default` included). */
  exportedAs: string[];
  /** `const`, `let` or `var` for variables. */
  keyword?: string;
  /** 1-based lines of the whole statement (with `export`). */
  line: number;
  endLine: number;
}

export interface TsImport {
  source: string;
  line: number;
  /** `import { a as b }` -> {imported: "a", local: "b"}; `import d` -> {imported: "default", local: "d"}. */
  names: Array<{ imported: string; local: string }>;
  /** `import * as ns`. */
  namespace?: string;
}

export interface TsReexport {
  source: string;
  /** Undefined for `export * from`. */
  names?: Array<{ imported: string; exported: string }>;
}

export interface FileSummary {
  decls: TsDecl[];
  imports: TsImport[];
  reexports: TsReexport[];
  syntaxError?: SyntaxProblem;
  tree: Parser.Tree;
}

const VAR_PARENTS = new Set(["lexical_declaration", "variable_declaration"]);

export function summarize(text: string): FileSummary {
  const tree = parseTs(text);
  const root = tree.rootNode;
  const decls: TsDecl[] = [];
  const byName = new Map<string, TsDecl>();
  for (const m of tsQuery("declarations").matches(root, { maxStartDepth: 0 })) {
    for (const c of m.captures) {
      const kind = c.name.slice("declaration.".length) as DeclKind;
      const node = c.node;
      let stmt = node;
      let keyword: string | undefined;
      if (kind === "variable" && node.parent && VAR_PARENTS.has(node.parent.type)) {
        stmt = node.parent;
        keyword = stmt.child(0)?.type;
      }
      const exportStmt = stmt.parent?.type === "export_statement" ? stmt.parent : node.parent?.type === "export_statement" ? node.parent : undefined;
      const isDefault = exportStmt?.children.some((ch) => ch.type === "default") ?? false;
      const name = kind === "default" ? "default" : (node.childForFieldName("name")?.text ?? "default");
      const outer = exportStmt ?? stmt;
      const d: TsDecl = {
        kind,
        name,
        node,
        exportedAs: exportStmt ? [isDefault ? "default" : name] : [],
        ...(keyword ? { keyword } : {}),
        line: lineOf(outer),
        endLine: outer.endPosition.row + 1,
      };
      decls.push(d);
      if (kind !== "overload" && !byName.has(name)) byName.set(name, d);
    }
  }

  const imports: TsImport[] = [];
  const reexports: TsReexport[] = [];
  for (const m of tsQuery("imports").matches(root, { maxStartDepth: 0 })) {
    const stmt = m.captures.find((c) => c.name === "import" || c.name === "reexport" || c.name === "exportlist")?.node;
    const source = m.captures.find((c) => c.name === "source")?.node.text;
    if (!stmt) continue;
    if (m.captures.some((c) => c.name === "import") && source !== undefined) {
      imports.push(readImport(stmt, source));
    } else if (m.captures.some((c) => c.name === "reexport") && source !== undefined) {
      reexports.push(readReexport(stmt, source));
    } else {
      const spec = m.captures.find((c) => c.name === "specifier")?.node;
      const local = spec?.childForFieldName("name")?.text;
      const alias = spec?.childForFieldName("alias")?.text;
      const d = local ? byName.get(local) : undefined;
      if (d && local) d.exportedAs.push(alias ?? local);
    }
  }
  const syntaxError = firstSyntaxError(root);
  return { decls, imports, reexports, tree, ...(syntaxError ? { syntaxError } : {}) };
}

function readImport(stmt: Parser.SyntaxNode, source: string): TsImport {
  const out: TsImport = { source, line: lineOf(stmt), names: [] };
  const clause = stmt.namedChildren.find((c) => c.type === "import_clause");
  for (const part of clause?.namedChildren ?? []) {
    if (part.type === "identifier") out.names.push({ imported: "default", local: part.text });
    else if (part.type === "namespace_import") {
      const id = part.namedChildren.find((c) => c.type === "identifier");
      if (id) out.namespace = id.text;
    } else if (part.type === "named_imports") {
      for (const spec of part.namedChildren) {
        if (spec.type !== "import_specifier") continue;
        const name = spec.childForFieldName("name")?.text;
        const alias = spec.childForFieldName("alias")?.text;
        if (name) out.names.push({ imported: name, local: alias ?? name });
      }
    }
  }
  return out;
}

function readReexport(stmt: Parser.SyntaxNode, source: string): TsReexport {
  const clause = stmt.namedChildren.find((c) => c.type === "export_clause");
  if (!clause) return { source };
  const names: Array<{ imported: string; exported: string }> = [];
  for (const spec of clause.namedChildren) {
    if (spec.type !== "export_specifier") continue;
    const name = spec.childForFieldName("name")?.text;
    const alias = spec.childForFieldName("alias")?.text;
    if (name) names.push({ imported: name, exported: alias ?? name });
  }
  return { source, names };
}
