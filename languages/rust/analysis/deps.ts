/**
 * Dependencies of a fragment, inferred from names in its declaration
 * (queries/references.scm): other fragments it calls, consts and statics it
 * reads, the crate's types it names, and the crates (Cargo.toml
 * dependencies) it uses.
 *
 * Known limitations: no type checking; a method call `x.m()` counts as a
 * dependency on every method fragment named `m`, and a local variable that
 * shadows a const still counts as a use of the const.
 */
import type { AnalyzedFragment } from "../../../src/languages/adapter-types.js";
import type { FileCtx, TypeMapper } from "./map-types.js";
import { rustQuery } from "./rust-parser.js";
import type { Decl } from "./workspace.js";

export interface FragmentRef {
  id: string;
  decl: Decl;
  file: string;
}

export function collectDeps(
  self: FragmentRef,
  all: FragmentRef[],
  ctx: FileCtx,
  mapper: TypeMapper,
): AnalyzedFragment["deps"] {
  const calls = new Set<string>();
  const methods = new Set<string>();
  const idents = new Set<string>();
  const types = new Set<string>();
  const paths = new Set<string>();
  /** `a::b::f(…)` calls as [path before the name, name]. */
  const scoped: Array<[string, string]> = [];
  for (const c of rustQuery("references").captures(self.decl.node)) {
    const t = c.node.text;
    if (c.name === "call") calls.add(t);
    else if (c.name === "method") methods.add(t);
    else if (c.name === "ident") idents.add(t);
    else if (c.name === "type") types.add(t);
    else if (c.name === "path") paths.add(t);
    else if (c.name === "scoped") {
      const segs = t.split("::").map((x) => x.trim());
      scoped.push([(segs[segs.length - 2] ?? "").replace(/<.*$/, ""), segs[segs.length - 1] ?? ""]);
    }
  }
  const fragments = new Set<string>();
  for (const f of all) {
    if (f.id === self.id || (f.decl.item !== "fn" && f.decl.kind !== "const" && f.decl.kind !== "variable")) continue;
    const name = f.decl.name;
    if (f.decl.item === "fn") {
      const implName = f.decl.implType?.text.replace(/<.*$/, "");
      const sameImpl = implName !== undefined && self.decl.implType?.text.replace(/<.*$/, "") === implName;
      const hit = implName
        ? methods.has(name) || scoped.some(([p, n]) => n === name && (p === implName || (p === "Self" && sameImpl)))
        : calls.has(name) || scoped.some(([p, n]) => n === name && /^[a-z_]/.test(p));
      if (hit) fragments.add(f.id);
    }
    if (f.decl.item !== "fn" && idents.has(f.decl.name) && (f.file === ctx.file || importsName(ctx, f.decl.name)))
      fragments.add(f.id);
  }

  const globalVars = new Set<string>();
  for (const d of ctx.summary.decls) {
    if ((d.item === "const" || d.item === "static") && idents.has(d.name) && d !== self.decl) globalVars.add(d.name);
  }
  for (const u of ctx.summary.uses) {
    if (u.alias !== "*" && idents.has(u.alias) && /^[A-Z][A-Z0-9_]*$/.test(u.alias) && u.path[0] !== "std") globalVars.add(u.alias);
  }

  const typeDefs = new Set<string>();
  for (const t of types) {
    if (t === "Self" || t === "String" || (self.decl.kind === "type" && t === self.decl.name)) continue;
    const found = mapper.locate([t], ctx, 0);
    if (found && found !== "external") typeDefs.add(found.decl.name);
  }
  if (self.decl.implType) {
    const found = mapper.locate([self.decl.implType.text.replace(/<.*$/, "")], ctx, 0);
    if (found && found !== "external") typeDefs.add(found.decl.name);
  }

  const crateNames = new Map(mapper.crate.deps.map((d) => [d.replaceAll("-", "_"), d]));
  const libs = new Set<string>();
  for (const p of paths) if (crateNames.has(p)) libs.add(crateNames.get(p)!);
  for (const u of ctx.summary.uses) {
    const root = u.path[0] ?? "";
    if (crateNames.has(root) && (idents.has(u.alias) || types.has(u.alias) || paths.has(u.alias) || calls.has(u.alias)))
      libs.add(crateNames.get(root)!);
  }
  const sorted = (s: Set<string>) => [...s].sort();
  return { fragments: sorted(fragments), libs: sorted(libs), globalVars: sorted(globalVars), typeDefs: sorted(typeDefs) };
}

function importsName(ctx: FileCtx, name: string): boolean {
  return ctx.summary.uses.some((u) => u.alias === name || u.alias === "*");
}
