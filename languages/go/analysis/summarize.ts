/**
 * One Go source text -> FileSummary: its package, imports, top-level
 * declarations and, per declaration, the names it refers to. Driven by
 * declarations.scm, imports.scm and references.scm.
 *
 * Known limitations:
 * - Keys of struct literals with elided types (`[]T{{Name: x}}`) count as
 *   identifier references.
 */
import type Parser from "tree-sitter";
import { firstSyntaxError, goQuery, parseGo } from "./go-parser.js";
import { LocalScopes } from "./scopes.js";
import type { Decl, FileSummary, ImportSpec, Refs, SelectorRef, TypeExpr } from "./summary-types.js";
import { constExpr, initializerType, paramList, posOf, stringLiteral, typeExpr } from "./type-expr.js";
import { declWrites } from "./writes.js";

type Node = Parser.SyntaxNode;

/** declarations.scm and imports.scm patterns start at source_file; deeper starts would only cost time. */
const TOP_LEVEL = { maxStartDepth: 0 };

export interface ParsedFile {
  summary: FileSummary;
  tree: Parser.Tree;
}

/** Package, imports and declarations; references are left to declRefs(), on demand. */
export function summarize(text: string): ParsedFile {
  const tree = parseGo(text);
  const root = tree.rootNode;
  const summary: FileSummary = { pkgName: "", imports: readImports(root), decls: [] };
  const syntaxError = firstSyntaxError(root);
  if (syntaxError) summary.syntaxError = syntaxError;
  for (const m of goQuery("declarations").matches(root, TOP_LEVEL)) {
    for (const { name, node } of m.captures) {
      if (name === "package.name") summary.pkgName = node.text;
      else if (name.startsWith("declaration.")) summary.decls.push(...declsOf(node));
    }
  }
  return { summary, tree };
}

function readImports(root: Node): ImportSpec[] {
  const out: ImportSpec[] = [];
  for (const m of goQuery("imports").matches(root, TOP_LEVEL)) {
    const path = m.captures.find((c) => c.name === "import.path")?.node;
    const alias = m.captures.find((c) => c.name === "import.name")?.node;
    if (!path) continue;
    const spec: ImportSpec = { path: stringLiteral(path), pos: posOf(path) };
    if (alias) spec.alias = alias.text;
    out.push(spec);
  }
  return out;
}

function lines(node: Node): { line: number; endLine: number } {
  return { line: node.startPosition.row + 1, endLine: node.endPosition.row + 1 };
}

/** The Decl(s) of one captured declaration node. */
function declsOf(node: Node): Decl[] {
  const base = { ...lines(node), start: node.startIndex, end: node.endIndex };
  switch (node.type) {
    case "function_declaration": {
      const nameNode = node.childForFieldName("name");
      if (!nameNode) return [];
      const tp = node.childForFieldName("type_parameters");
      const func = {
        params: paramList(node.childForFieldName("parameters")),
        results: paramList(node.childForFieldName("result")),
        ...(tp ? { typeParams: posOf(tp) } : {}),
      };
      return [{ ...base, kind: "function", name: nameNode.text, symbol: nameNode.text, pos: posOf(nameNode), func }];
    }
    case "method_declaration": {
      const nameNode = node.childForFieldName("name");
      const recv = receiverOf(node.childForFieldName("receiver"));
      if (!nameNode || !recv) return [];
      const func = {
        params: paramList(node.childForFieldName("parameters")),
        results: paramList(node.childForFieldName("result")),
      };
      const symbol = `${recv.typeName}.${nameNode.text}`;
      return [{ ...base, kind: "method", name: nameNode.text, symbol, pos: posOf(nameNode), recv, func }];
    }
    case "type_spec":
    case "type_alias": {
      const nameNode = node.childForFieldName("name");
      const typeNode = node.childForFieldName("type");
      if (!nameNode || !typeNode) return [];
      const d: Decl = {
        ...base,
        kind: "type",
        name: nameNode.text,
        symbol: nameNode.text,
        pos: posOf(nameNode),
        type: typeExpr(typeNode),
      };
      if (node.type === "type_alias") d.alias = true;
      const tp = node.childForFieldName("type_parameters");
      if (tp) d.typeParams = posOf(tp);
      return [d];
    }
    case "var_spec":
    case "const_spec": {
      const kind = node.type === "var_spec" ? "variable" : "const";
      // const_spec's `name` field also lists the commas; its identifier children are exactly the names.
      const names = node.namedChildren.filter((c) => c.type === "identifier");
      const typeNode = node.childForFieldName("type");
      const values = node.childForFieldName("value")?.namedChildren ?? [];
      return names.map((n, i): Decl => {
        const d: Decl = { ...base, kind, name: n.text, symbol: n.text, pos: posOf(n) };
        if (typeNode) d.type = typeExpr(typeNode);
        const value = values[i];
        if (kind === "variable" && !typeNode && value) {
          const t = initializerType(value);
          if (t) d.initType = t;
        }
        if (kind === "const" && value) d.constValue = constExpr(value);
        return d;
      });
    }
    default:
      return [];
  }
}

function receiverOf(list: Node | null): Decl["recv"] {
  const param = list?.namedChildren.find((c) => c.type === "parameter_declaration");
  let t = param?.childForFieldName("type");
  if (!param || !t) return undefined;
  let pointer = false;
  if (t.type === "pointer_type") {
    pointer = true;
    t = t.namedChildren[0] ?? null;
  }
  let generic = false;
  if (t?.type === "generic_type") {
    generic = true;
    t = t.childForFieldName("type");
  }
  if (t?.type !== "type_identifier") return undefined;
  const name = param.childForFieldName("name")?.text;
  return { typeName: t.text, pointer, generic, pos: posOf(param), ...(name && name !== "_" ? { name } : {}) };
}

/** The declaration's node in its file's tree. */
function declNode(tree: Parser.Tree, decl: Decl): Node {
  let node: Node | null = tree.rootNode.descendantForIndex(decl.start, decl.end);
  while (node && (node.startIndex !== decl.start || node.endIndex !== decl.end)) node = node.parent;
  return node ?? tree.rootNode;
}

/** What a declaration refers to, locals removed; runs references.scm on the declaration's subtree only. */
export function declRefs(tree: Parser.Tree, decl: Decl): Refs {
  const node = declNode(tree, decl);
  const matches = goQuery("references").matches(node);
  // A name is local where a binding covers it (scopes.ts), not throughout the declaration.
  const locals = new LocalScopes();
  const typed = new Map<string, TypeExpr>();
  // Name nodes that are not references: definitions, struct literal keys, the function's own name.
  const excluded = new Set<number>();
  const calls = new Set<number>();
  if (node.type === "function_declaration") {
    const name = node.childForFieldName("name");
    if (name) excluded.add(name.startIndex);
  }
  // Pass 1: what the declaration binds, so that pass 2 can drop locals.
  for (const m of matches) {
    let typedName: string | undefined;
    let typedType: Node | undefined;
    for (const c of m.captures) {
      switch (c.name) {
        case "local.definition":
          locals.add(c.node);
          excluded.add(c.node.startIndex);
          break;
        case "local.typed.name":
          typedName = c.node.text;
          break;
        case "local.typed.type":
          typedType = c.node;
          break;
        case "reference.field_key":
          excluded.add(c.node.startIndex);
          break;
        case "reference.call.method":
          calls.add(c.node.startIndex);
          break;
      }
    }
    if (typedName && typedType && !typed.has(typedName)) typed.set(typedName, typeExpr(typedType));
  }
  // Pass 2: references.
  const idents = new Set<string>();
  const types = new Set<string>();
  const qualTypes = new Map<string, { pkg: string; name: string }>();
  const selectors = new Map<string, SelectorRef>();
  for (const m of matches) {
    const first = m.captures[0];
    if (!first) continue;
    switch (first.name) {
      case "reference.identifier": {
        const text = first.node.text;
        if (
          text !== "_" &&
          !idents.has(text) &&
          !excluded.has(first.node.startIndex) &&
          !locals.isLocal(text, first.node)
        )
          idents.add(text);
        break;
      }
      case "reference.type": {
        const text = first.node.text;
        if (
          !types.has(text) &&
          first.node.parent?.type !== "qualified_type" &&
          !excluded.has(first.node.startIndex) &&
          !locals.isLocal(text, first.node)
        )
          types.add(text);
        break;
      }
      case "reference.package": {
        const name = m.captures[1]?.node.text ?? "";
        qualTypes.set(`${first.node.text}.${name}`, { pkg: first.node.text, name });
        break;
      }
      case "reference.operand": {
        const field = m.captures[1]?.node;
        if (!field) break;
        const sel: SelectorRef = { name: field.text, operandLocal: false, call: calls.has(field.startIndex) };
        let via = "";
        if (first.node.type === "identifier") {
          sel.operand = first.node.text;
          sel.operandLocal = locals.isLocal(sel.operand, first.node);
          const t = sel.operandLocal ? typed.get(sel.operand) : undefined;
          if (t) sel.operandType = t;
        } else if (first.node.type === "selector_expression") {
          const root = first.node.childForFieldName("operand");
          const f = first.node.childForFieldName("field");
          const t = root?.type === "identifier" && locals.isLocal(root.text, root) ? typed.get(root.text) : undefined;
          if (t && f) {
            sel.operandField = { ownerType: t, field: f.text };
            via = `${root!.text}.${f.text}`;
          }
        }
        const key = `${sel.operand ?? via}.${sel.name}.${sel.call}`;
        if (!selectors.has(key)) selectors.set(key, sel);
        break;
      }
    }
  }
  return {
    idents: [...idents],
    types: [...types],
    qualTypes: [...qualTypes.values()],
    selectors: [...selectors.values()],
    writes: declWrites(node, locals),
  };
}
