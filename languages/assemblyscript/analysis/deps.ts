/**
 * Dependencies of a declaration, from names (no type checking): the other
 * fragments it calls, the module-level globals and types it uses, and the
 * packages (non-relative imports) whose names it uses.
 *
 * Known limitations: method calls on values (`x.f()`) are not followed; a
 * name bound anywhere in the declaration hides the module-level one.
 */
import type { AnalyzedFragment } from "../../../src/languages/adapter-types.js";
import { asQuery } from "./ts-parser.js";
import type { AsDecl, AsWorkspace } from "./workspace.js";

/** `file#symbol` -> fragment id. */
export type FragmentIndex = Map<string, string>;

export function collectDeps(
  ws: AsWorkspace,
  file: string,
  decl: AsDecl,
  index: FragmentIndex,
  selfId: string,
): AnalyzedFragment["deps"] {
  const locals = new Set<string>();
  const values = new Set<string>();
  const types = new Set<string>();
  for (const c of asQuery("references").captures(decl.node)) {
    if (c.name === "local.definition") locals.add(c.node.text);
    else if (c.name === "reference.value") values.add(c.node.text);
    else if (c.name === "reference.type") types.add(c.node.text);
  }
  const fragments = new Set<string>();
  const globalVars = new Set<string>();
  const typeDefs = new Set<string>();
  const libs = new Set<string>();
  const summary = ws.summary(file);
  const consider = (name: string, asType: boolean) => {
    if (locals.has(name) && !asType) return;
    const own = summary.decls.find((d) => d.name === name && d.kind !== "method");
    if (own) return classify(file, own, name);
    for (const imp of summary.imports) {
      const spec = imp.names.find((x) => x.local === name) ?? (imp.namespace === name ? { imported: "*" } : undefined);
      if (!spec) continue;
      const target = ws.resolve(file, imp.spec);
      if (!target) {
        if (!imp.spec.startsWith(".")) libs.add(imp.spec);
        return;
      }
      if (spec.imported === "*") return;
      let d: AsDecl | undefined;
      try {
        d = ws.summary(target).decls.find((x) => x.name === spec.imported && x.kind !== "method");
      } catch {
        return;
      }
      if (d) classify(target, d, name);
      return;
    }
  };
  const classify = (f: string, d: AsDecl, local: string) => {
    if (d === decl) return;
    const id = index.get(`${f}#${d.symbol}`);
    if (id && id !== selfId) fragments.add(id);
    if (d.kind === "variable" || d.kind === "const") globalVars.add(local);
    else if (d.kind === "class" || d.kind === "interface" || d.kind === "alias" || d.kind === "enum")
      typeDefs.add(local);
  };
  for (const v of values) consider(v, false);
  for (const t of types) consider(t, true);
  if (decl.className) typeDefs.add(decl.className);
  return {
    fragments: [...fragments].sort(),
    libs: [...libs].sort(),
    globalVars: [...globalVars].sort(),
    typeDefs: [...typeDefs].sort(),
  };
}
