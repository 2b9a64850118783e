/**
 * Block scopes inside one declaration, as far as name lookups need them:
 * whether a name at a given node is bound locally (a parameter, a short
 * variable declaration, a range variable, a local var/const/type, a type
 * switch alias) or refers to the package (or an import). Follows the Go
 * spec's scoping: a parameter is visible in the function body, a local
 * var/const from the end of its spec, a short variable from the end of its
 * statement, a local type from its own name on.
 *
 * Known limitations: labels and struct field names are not bindings here
 * (they never shadow package-level names in expressions).
 */
import type Parser from "tree-sitter";

type Node = Parser.SyntaxNode;

const SCOPES = new Set([
  "block",
  "func_literal",
  "function_declaration",
  "method_declaration",
  "for_statement",
  "if_statement",
  "expression_switch_statement",
  "type_switch_statement",
  "select_statement",
  "expression_case",
  "type_case",
  "default_case",
  "communication_case",
]);

/** Nodes that bind names, from the identifier's point of view. */
const BINDERS = new Set([
  "parameter_declaration",
  "variadic_parameter_declaration",
  "type_parameter_declaration",
  "short_var_declaration",
  "range_clause",
  "receive_statement",
  "var_spec",
  "const_spec",
  "type_spec",
  "type_alias",
  "type_switch_statement",
]);

export interface Binding {
  name: string;
  /** Offset from which the name is visible. */
  from: number;
  /** The node whose extent the binding covers. */
  scope: Node;
}

/**
 * The local binding a defining identifier makes (`x` in `x := …`), or
 * undefined when it binds nothing inside a function (a package-level spec, a
 * parameter of a function type or interface method).
 */
export function bindingOf(ident: Node): Binding | undefined {
  let b: Node | null = ident.parent;
  while (b && !BINDERS.has(b.type)) {
    if (b.type === "source_file") return undefined;
    b = b.parent;
  }
  if (!b) return undefined;
  const isParam = b.type === "parameter_declaration" || b.type === "variadic_parameter_declaration";
  if (isParam && !ownsScope(b.parent?.parent)) return undefined;
  let scope: Node | null = b.parent;
  while (scope && !SCOPES.has(scope.type)) scope = scope.parent;
  if (!scope && b.type === "type_parameter_declaration") {
    // Type parameters of a package-level generic type: visible in its whole declaration.
    let spec: Node | null = b.parent;
    while (spec && spec.type !== "type_spec" && spec.type !== "type_alias") spec = spec.parent;
    return spec ? { name: ident.text, from: spec.startIndex, scope: spec } : undefined;
  }
  if (!scope) return undefined; // a package-level declaration
  if (b.type === "type_switch_statement") {
    return { name: ident.text, from: b.childForFieldName("value")?.endIndex ?? b.startIndex, scope: b };
  }
  let from: number;
  // Parameters are visible in the body (their types are resolved outside); type parameters in the whole signature.
  if (isParam) from = scope.childForFieldName("body")?.startIndex ?? scope.endIndex;
  else if (b.type === "type_parameter_declaration" || b.type === "type_spec" || b.type === "type_alias") {
    from = b.type === "type_parameter_declaration" ? scope.startIndex : b.startIndex;
  } else from = b.endIndex;
  return { name: ident.text, from, scope };
}

function ownsScope(n: Node | null | undefined): boolean {
  return n?.type === "function_declaration" || n?.type === "method_declaration" || n?.type === "func_literal";
}

/** Whether the binding covers a use of its name at `use`. */
export function shadows(b: Binding, use: Node): boolean {
  return use.startIndex >= b.from && use.startIndex >= b.scope.startIndex && use.endIndex <= b.scope.endIndex;
}

/** Name -> bindings, for a set of defining identifiers. */
export class LocalScopes {
  private readonly byName = new Map<string, Binding[]>();

  add(ident: Node): void {
    const b = bindingOf(ident);
    if (!b) return;
    const list = this.byName.get(b.name) ?? [];
    list.push(b);
    this.byName.set(b.name, list);
  }

  /** True when `name` at `use` is a local of the declaration. */
  isLocal(name: string, use: Node): boolean {
    return this.byName.get(name)?.some((b) => shadows(b, use)) ?? false;
  }

  /** The defining identifiers of every local binding inside a declaration (the declaration's own names excluded). */
  static of(decl: Node, names?: Set<string>): LocalScopes {
    const scopes = new LocalScopes();
    for (const binder of decl.descendantsOfType([...BINDERS])) {
      if (binder.id === decl.id) continue;
      for (const ident of definingIdents(binder)) if (!names || names.has(ident.text)) scopes.add(ident);
    }
    return scopes;
  }
}

function definingIdents(b: Node): Node[] {
  switch (b.type) {
    case "short_var_declaration":
    case "range_clause":
    case "receive_statement": {
      const left = b.childForFieldName("left");
      return left ? left.namedChildren.filter((c) => c.type === "identifier") : [];
    }
    case "type_switch_statement": {
      const alias = b.childForFieldName("alias");
      return alias ? alias.namedChildren.filter((c) => c.type === "identifier") : [];
    }
    case "const_spec":
      return b.namedChildren.filter((c) => c.type === "identifier");
    case "type_spec":
    case "type_alias": {
      const n = b.childForFieldName("name");
      return n ? [n] : [];
    }
    default:
      return b.childrenForFieldName("name").filter((c) => c.type === "identifier");
  }
}
