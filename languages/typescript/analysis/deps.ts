/**
 * Dependencies of one fragment, from the names its declaration mentions
 * (queries/references.scm): other fragments (same file, or imported from a
 * relative module), libraries (bare import specifiers whose bindings it
 * uses), module-level `let`/`var` variables, and type definitions (not the
 * width aliases such as `type u32 = number;`, which spell primitives).
 *
 * Known limitation: no scope analysis, so a local that shadows a top-level
 * name counts as a use of it (this can only over-report).
 */
import type { AnalyzedFragment } from "../../../src/languages/adapter-types.js";
import { isWidthAlias, type TypeMapper } from "./map-types.js";
import type { TsDecl } from "./summarize.js";
import { tsQuery } from "./ts-parser.js";
import type { TsWorkspace } from "./workspace.js";

/** `file#exportedName` and `file#localName` -> fragment id. */
export type FragmentIndex = Map<string, string>;

export function indexKey(file: string, name: string): string {
  return `${file}#${name}`;
}

export function collectDeps(
  ws: TsWorkspace,
  mapper: TypeMapper,
  file: string,
  decl: TsDecl,
  index: FragmentIndex,
  selfId: string,
): AnalyzedFragment["deps"] {
  const s = ws.summary(file);
  const values = new Set<string>();
  const types = new Set<string>();
  for (const c of tsQuery("references").captures(decl.node)) {
    (c.name === "ref.type" ? types : values).add(c.node.text);
  }
  values.delete(decl.name);
  const fragments = new Set<string>();
  const libs = new Set<string>();
  const globalVars = new Set<string>();
  const typeDefs = new Set<string>();

  const locals = new Map<string, TsDecl>();
  for (const d of s.decls) if (d.kind !== "overload" && !locals.has(d.name)) locals.set(d.name, d);
  const imported = new Map<string, { source: string; imported: string }>();
  for (const imp of s.imports) {
    for (const n of imp.names) imported.set(n.local, { source: imp.source, imported: n.imported });
    if (imp.namespace) imported.set(imp.namespace, { source: imp.source, imported: "*" });
  }

  for (const name of values) {
    const local = locals.get(name);
    if (local) {
      const id = index.get(indexKey(file, name));
      if (id && id !== selfId) fragments.add(id);
      else if (local.kind === "variable" && local.keyword !== "const") globalVars.add(name);
      continue;
    }
    const imp = imported.get(name);
    if (!imp) continue;
    const target = ws.resolve(file, imp.source);
    if (target) {
      const id = index.get(indexKey(target, imp.imported));
      if (id && id !== selfId) fragments.add(id);
    } else if (!imp.source.startsWith(".")) {
      libs.add(imp.source);
    }
  }
  for (const name of types) {
    const local = locals.get(name);
    if (local && (local.kind === "interface" || local.kind === "alias" || local.kind === "enum" || local.kind === "class")) {
      // `type u32 = number;` spells a primitive (int<32,unsigned>): nothing to list in `typeDef`.
      if (!isWidthAlias(local)) typeDefs.add(name);
    } else if (imported.has(name)) {
      const hit = mapper.lookup(file, name);
      if (hit && !isWidthAlias(hit.decl)) typeDefs.add(name);
    }
  }
  const sorted = (x: Set<string>) => [...x].sort();
  return {
    fragments: sorted(fragments),
    libs: sorted(libs),
    globalVars: sorted(globalVars),
    typeDefs: sorted(typeDefs),
  };
}
