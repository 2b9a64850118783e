/**
 * The files of one analysis: parsed on first use only (a fragment reaches
 * its own file and the module files of the types its signature names), with
 * a per-file summary of the top-level items (queries/declarations.scm).
 *
 * Known limitations: modules are found by the file-system convention
 * (`crate::a::b` is a/b.rs or a/b/mod.rs next to the crate root); `#[path]`
 * attributes and items of inline `mod { }` blocks are not followed.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import type Parser from "tree-sitter";
import type { ParseCache } from "../../../src/languages/adapter-types.js";
import { firstSyntaxError, lineOf, type Node, parseRust, rustQuery, type SyntaxProblem } from "./rust-parser.js";

export type DeclKind = "function" | "method" | "const" | "variable" | "type";

export interface Decl {
  kind: DeclKind;
  /** `const`, `static`, `struct`, `enum`, `alias` (type alias), `fn`. */
  item: "fn" | "const" | "static" | "struct" | "enum" | "alias";
  name: string;
  /** `f`, `Type::method` (CFD spelling `Type.method` is accepted too). */
  symbol: string;
  line: number;
  endLine: number;
  node: Node;
  /** Methods: the impl's self type node. */
  implType?: Node;
}

export interface UseEntry {
  /** The name the `use` brings into scope, or `*` for a glob. */
  alias: string;
  path: string[];
}

export interface FileSummary {
  file: string;
  text: string;
  sha256: string;
  tree: Parser.Tree;
  decls: Decl[];
  uses: UseEntry[];
  /** `mod x;` declarations. */
  mods: string[];
  lineCount: number;
  syntaxError?: SyntaxProblem;
}

export class RustWorkspace {
  filesParsed = 0;
  readonly touched = new Set<string>();
  private readonly files = new Map<string, FileSummary>();

  constructor(
    readonly repo: string,
    private readonly cache?: ParseCache,
  ) {}

  resetTouched(): void {
    this.touched.clear();
  }

  exists(rel: string): boolean {
    return existsSync(join(this.repo, rel));
  }

  /** Parses (once) and summarizes a repo-relative file; throws when it cannot be read. */
  summary(rel: string): FileSummary {
    this.touched.add(rel);
    const have = this.files.get(rel);
    if (have) return have;
    const text = readFileSync(join(this.repo, rel), "utf8");
    const sha256 = createHash("sha256").update(text).digest("hex");
    const key = `rust:${sha256}`;
    let s = this.cache?.get(key) as FileSummary | undefined;
    if (!s) {
      s = summarize(rel, text, sha256);
      this.filesParsed++;
      this.cache?.set(key, s);
    }
    if (s.file !== rel) s = { ...s, file: rel };
    this.files.set(rel, s);
    return s;
  }

  /** Every file summarized so far with its sha256 (build inputs). */
  allFiles(): Array<{ file: string; sha256: string }> {
    return [...this.files.values()].map((s) => ({ file: s.file, sha256: s.sha256 }));
  }
}

/** Module path of a file below the crate root's folder: a/b.rs and a/b/mod.rs → ["a","b"]. */
export function modPathOf(file: string, root: string): string[] | undefined {
  if (file === root) return [];
  const rootDir = posix.dirname(root);
  const rel = posix.relative(rootDir, file);
  if (rel.startsWith("..") || !rel.endsWith(".rs")) return undefined;
  const parts = rel.slice(0, -3).split("/");
  if (parts[parts.length - 1] === "mod") parts.pop();
  return parts;
}

/** The file of a module path, by the file-system convention; undefined when neither exists. */
export function fileOfModPath(ws: RustWorkspace, root: string, path: string[]): string | undefined {
  if (path.length === 0) return root;
  const base = posix.join(posix.dirname(root), ...path);
  for (const c of [`${base}.rs`, `${base}/mod.rs`]) if (ws.exists(c)) return c;
  return undefined;
}

function summarize(file: string, text: string, sha256: string): FileSummary {
  const tree = parseRust(text);
  const decls: Decl[] = [];
  const uses: UseEntry[] = [];
  const mods: string[] = [];
  for (const m of rustQuery("declarations").matches(tree.rootNode)) {
    const cap = (n: string) => m.captures.find((c) => c.name === n)?.node;
    const name = cap("name")?.text ?? "";
    const kinds: Array<[string, DeclKind, Decl["item"]]> = [
      ["function", "function", "fn"],
      ["method", "method", "fn"],
      ["const", "const", "const"],
      ["static", "variable", "static"],
      ["struct", "type", "struct"],
      ["enum", "type", "enum"],
      ["alias", "type", "alias"],
    ];
    for (const [capName, kind, item] of kinds) {
      const node = cap(capName);
      if (!node) continue;
      const implType = cap("impl_type");
      const typeName = implType ? baseTypeName(implType) : "";
      decls.push({
        kind,
        item,
        name,
        symbol: implType ? `${typeName}::${name}` : name,
        line: lineOf(node),
        endLine: node.endPosition.row + 1,
        node,
        ...(implType ? { implType } : {}),
      });
    }
    const use = cap("use");
    if (use) {
      const arg = use.childForFieldName("argument");
      if (arg) uses.push(...flattenUse(arg, []));
    }
    const mod = cap("mod");
    if (mod && !mod.childForFieldName("body")) mods.push(name);
  }
  decls.sort((a, b) => a.line - b.line);
  const err = firstSyntaxError(tree.rootNode);
  return {
    file,
    text,
    sha256,
    tree,
    decls,
    uses,
    mods,
    lineCount: text.split("\n").length,
    ...(err ? { syntaxError: err } : {}),
  };
}

/** `Employee`, `Wrapper<T>` → `Wrapper`, `a::B` → `B`. */
export function baseTypeName(n: Node): string {
  if (n.type === "generic_type") return baseTypeName(n.childForFieldName("type")!);
  if (n.type === "scoped_type_identifier") return n.childForFieldName("name")?.text ?? n.text;
  return n.text;
}

export function pathSegments(n: Node): string[] {
  if (n.type === "scoped_identifier" || n.type === "scoped_type_identifier") {
    const p = n.childForFieldName("path");
    const name = n.childForFieldName("name")?.text ?? "";
    return p ? [...pathSegments(p), name] : [name];
  }
  return [n.text];
}

function flattenUse(n: Node, prefix: string[]): UseEntry[] {
  switch (n.type) {
    case "use_as_clause": {
      const path = [...prefix, ...pathSegments(n.childForFieldName("path")!)];
      return [{ alias: n.childForFieldName("alias")?.text ?? path[path.length - 1]!, path }];
    }
    case "scoped_use_list": {
      const p = n.childForFieldName("path");
      const list = n.childForFieldName("list");
      return list ? flattenUse(list, p ? [...prefix, ...pathSegments(p)] : prefix) : [];
    }
    case "use_list":
      return n.namedChildren.flatMap((c) => flattenUse(c, prefix));
    case "use_wildcard": {
      const p = n.namedChildren[0];
      return [{ alias: "*", path: p ? [...prefix, ...pathSegments(p)] : prefix }];
    }
    case "self":
      return prefix.length ? [{ alias: prefix[prefix.length - 1]!, path: prefix }] : [];
    default: {
      const path = [...prefix, ...pathSegments(n)];
      return [{ alias: path[path.length - 1]!, path }];
    }
  }
}

export { lineOf };
