/**
 * A Go file pruned to the declarations of the closure (languages/go/analysis/
 * closure.ts): everything else becomes whitespace that keeps every newline
 * and every byte offset, so the compiler's line:col of the pruned copy are
 * those of the user's file.
 *
 *  - Everything up to and including the package clause is kept (build
 *    constraints, package doc).
 *  - A kept declaration keeps the comments before it (doc comments and
 *    directives such as `//go:embed` travel with it); comments before a
 *    removed one go with it. `//go:linkname local …` is kept exactly when
 *    `local` is kept, wherever it stands.
 *  - Type and var specs of a group are pruned spec by spec; a const group is
 *    kept whole.
 *  - An import is kept exactly when a kept declaration uses its name as a
 *    package qualifier (a local of the same name in scope does not count);
 *    blank imports are dropped except `embed` (with a kept `//go:embed`),
 *    `unsafe` (with a kept `//go:linkname`) and `C`.
 *
 * Known limitations: a non-blank `import "embed"` that only a `//go:embed`
 * of a string or []byte variable needs is kept, and Go then reports it
 * unused (the build falls back to whole packages, see compile-go.ts); an
 * unaliased third-party import whose package name is unknown (not in the
 * module cache) is kept when the file uses a qualifier nothing else explains.
 */
import type Parser from "tree-sitter";
import { guessPkgName } from "../analysis/imports.js";
import { LocalScopes } from "../analysis/scopes.js";

type Node = Parser.SyntaxNode;

export interface PruneRequest {
  text: string;
  tree: Parser.Tree;
  /** Start offsets of the kept declarations: function/method declarations, type/var/const specs. */
  kept: Set<number>;
  /** Names of the package-level declarations kept in the package (for `//go:linkname`). */
  keptNames: Set<string>;
  /** The package clause name of an import path; undefined when unknown. */
  packageName(path: string): string | undefined;
  /** Whether a name is declared at package level in the file's package (original sources). */
  isPackageLevel(name: string): boolean;
}

const LINKNAME = /^\/\/go:linkname\s+(\S+)/;
const EMBED = /^\/\/go:embed\s/;

export function pruneGoFile(req: PruneRequest): string {
  const { text, tree } = req;
  const root = tree.rootNode;
  const removed = new Uint8Array(text.length);
  const remove = (from: number, to: number) => removed.fill(1, from, to);
  const children = root.children;
  const pkgIdx = children.findIndex((c) => c.type === "package_clause");
  if (pkgIdx < 0) return text;

  const keptDecls: Node[] = [];
  const imports: Node[] = [];
  let prevEnd = children[pkgIdx]!.endIndex;
  for (const node of children.slice(pkgIdx + 1)) {
    if (node.type === "comment") continue; // goes with the next declaration
    if (node.type === "import_declaration") {
      imports.push(node);
      prevEnd = node.endIndex;
      continue;
    }
    const specs = specsOf(node);
    let anyKept: boolean;
    if (!specs) {
      // function or method declaration (or something dcm does not know: kept)
      anyKept = !isFuncDecl(node) || req.kept.has(node.startIndex);
      if (anyKept) keptDecls.push(node);
    } else if (node.type === "const_declaration") {
      anyKept = specs.specs.some((s) => req.kept.has(s.startIndex));
      if (anyKept) keptDecls.push(...specs.specs);
    } else {
      anyKept = false;
      let from = specs.open;
      for (const s of specs.specs) {
        if (req.kept.has(s.startIndex)) {
          anyKept = true;
          keptDecls.push(s);
        } else remove(from, s.endIndex);
        from = s.endIndex;
      }
    }
    if (!anyKept) remove(prevEnd, node.endIndex);
    prevEnd = node.endIndex;
  }
  remove(prevEnd, text.length);

  // Directives: linkname by the name it links, wherever it stands.
  let hasEmbed = false;
  let hasLinkname = false;
  for (const c of root.descendantsOfType("comment")) {
    const link = LINKNAME.exec(c.text);
    if (link && c.parent?.type === "source_file") {
      if (req.keptNames.has(link[1]!)) {
        removed.fill(0, c.startIndex, c.endIndex);
        hasLinkname = true;
      } else remove(c.startIndex, c.endIndex);
    } else if (EMBED.test(c.text) && !removed[c.startIndex]) hasEmbed = true;
  }

  // Imports, from what the kept declarations use.
  const specsByImport = imports.map((d) => ({ decl: d, specs: d.descendantsOfType("import_spec") }));
  const allSpecs = specsByImport.flatMap((x) => x.specs);
  const importNames = new Set<string>();
  const nameOf = new Map<Node, { name: string; certain: boolean }>();
  for (const s of allSpecs) {
    const path = importPath(s);
    const alias = s.childForFieldName("name")?.text;
    const known = alias ?? req.packageName(path);
    const n = { name: known ?? guessPkgName(path), certain: known !== undefined };
    nameOf.set(s, n);
    importNames.add(n.name);
  }
  const used = usedQualifiers(keptDecls, importNames);
  // A qualifier that no import, package-level name or local explains: an import whose name is not known.
  const unexplained = [...used.all].some((q) => !importNames.has(q) && !req.isPackageLevel(q));
  for (const { decl, specs } of specsByImport) {
    const list = decl.namedChildren.find((c) => c.type === "import_spec_list");
    let from = list?.children.find((c) => c.type === "(")?.endIndex ?? decl.startIndex;
    const inList = list !== undefined;
    let anyKept = false;
    for (const s of specs) {
      const path = importPath(s);
      const { name, certain } = nameOf.get(s)!;
      let keepIt: boolean;
      if (name === "_") keepIt = (path === "embed" && hasEmbed) || (path === "unsafe" && hasLinkname);
      else if (name === "." || path === "C") keepIt = true;
      else keepIt = used.imports.has(name) || (path === "embed" && hasEmbed) || (!certain && unexplained);
      if (keepIt) anyKept = true;
      else if (inList) remove(from, s.endIndex);
      from = s.endIndex;
    }
    if (!anyKept) remove(decl.startIndex, decl.endIndex);
  }
  return render(text, removed);
}

function isFuncDecl(node: Node): boolean {
  return node.type === "function_declaration" || node.type === "method_declaration";
}

/** The specs of a type/var/const declaration and where the first spec's leading region starts. */
function specsOf(node: Node): { specs: Node[]; open: number } | undefined {
  switch (node.type) {
    case "type_declaration":
    case "const_declaration":
    case "var_declaration": {
      const list = node.namedChildren.find((c) => c.type === "var_spec_list");
      const holder = list ?? node;
      const specs = holder.namedChildren.filter((c) => c.type !== "comment");
      const paren = holder.children.find((c) => c.type === "(");
      return { specs, open: paren ? paren.endIndex : node.startIndex };
    }
    default:
      return undefined;
  }
}

function importPath(spec: Node): string {
  const p = spec.childForFieldName("path")?.text ?? "";
  return p.slice(1, -1);
}

/** Whitespace for every removed character, as many spaces as its UTF-8 bytes; newlines stay. */
function render(text: string, removed: Uint8Array): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    let j = i;
    while (j < text.length && removed[j] === removed[i]) j++;
    if (!removed[i]) out += text.slice(i, j);
    else {
      for (const ch of text.slice(i, j)) {
        if (ch === "\n" || ch === "\r") out += ch;
        else {
          const cp = ch.codePointAt(0)!;
          out += " ".repeat(cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
        }
      }
    }
    i = j;
  }
  return out;
}

// ---------------------------------------------------------------- qualifiers in use

/**
 * Qualifiers (`q.X` with q an identifier, `q.T` in types) of the kept
 * declarations: `imports` holds the import names used as packages, `all`
 * every qualifier that is not a local in scope.
 */
function usedQualifiers(decls: Node[], importNames: Set<string>): { imports: Set<string>; all: Set<string> } {
  const imports = new Set<string>();
  const all = new Set<string>();
  for (const d of decls) {
    const uses: Array<{ name: string; node: Node }> = [];
    for (const n of d.descendantsOfType(["selector_expression", "qualified_type"])) {
      const q = n.type === "qualified_type" ? n.childForFieldName("package") : n.childForFieldName("operand");
      if (q && (q.type === "identifier" || q.type === "package_identifier")) uses.push({ name: q.text, node: q });
    }
    if (uses.length === 0) continue;
    const locals = LocalScopes.of(d, new Set(uses.map((u) => u.name)));
    for (const u of uses) {
      if (locals.isLocal(u.name, u.node)) continue;
      all.add(u.name);
      if (importNames.has(u.name)) imports.add(u.name);
    }
  }
  return { imports, all };
}
